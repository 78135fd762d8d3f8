package panes

import (
	"net/mail"

	"github.com/mailcred/mailcred/session/compose"
)

func composeDraft() compose.Message {
	return compose.Message{From: mail.Address{Address: "you@example.com"}, Subject: "test", Body: "line one\nline two\nline three"}
}
