package smtpc

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

func TestRefusalAtEachStage(t *testing.T) {
	noLeaks(t)
	users := map[string]string{testUser: testPassword}
	tests := []struct {
		name      string
		server    smtptest.Options
		hostile   *smtptest.Behaviour // instead of server
		password  string              // AUTH when set
		stage     smtpx.Stage
		code      int
		enhanced  string
		temporary bool
		text      string // in Reply.Message()
	}{
		{
			name: "greeting refused for a bad PTR (GMX)",
			server: smtptest.Options{Policy: smtptest.RejectAt(smtpx.Connect, smtptest.Reply{Code: 554,
				Lines: []string{"gmx.net (mxgmx017) Nemesis ESMTP Service not available", "No SMTP service", "Bad DNS PTR resource record."}})},
			stage: smtpx.Connect, code: 554, text: "Bad DNS PTR resource record.",
		},
		{
			name: "EHLO and HELO refused",
			server: smtptest.Options{Policy: smtptest.RejectAt(smtpx.EHLO, smtptest.Reply{Code: 550, Enhanced: "5.7.1",
				Lines: []string{"HELO name not accepted"}})},
			stage: smtpx.EHLO, code: 550, enhanced: "5.7.1", text: "HELO name not accepted",
		},
		{
			name:     "AUTH with a wrong password",
			server:   smtptest.Options{Users: users},
			password: "wrong",
			stage:    smtpx.AUTH, code: 535, enhanced: "5.7.8", text: "Authentication failed",
		},
		{
			name: "AUTH deferred",
			server: smtptest.Options{Users: users, Policy: smtptest.RejectAt(smtpx.AUTH, smtptest.Reply{Code: 454, Enhanced: "4.7.0",
				Lines: []string{"Temporary authentication failure"}})},
			password: testPassword,
			stage:    smtpx.AUTH, code: 454, enhanced: "4.7.0", temporary: true, text: "Temporary authentication failure",
		},
		{
			name: "MAIL refused for a block-listed network (Outlook S3140)",
			server: smtptest.Options{Policy: smtptest.RejectAt(smtpx.MAIL, smtptest.Reply{Code: 550, Enhanced: "5.7.1",
				Lines: []string{"Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140)."}})},
			stage: smtpx.MAIL, code: 550, enhanced: "5.7.1", text: "(S3140)",
		},
		{
			name: "MAIL deferred with 421, the server closing",
			server: smtptest.Options{Policy: smtptest.RejectAt(smtpx.MAIL, smtptest.Reply{Code: 421, Enhanced: "4.7.0",
				Lines: []string{"Try again later, closing connection. (TSS04)"}})},
			stage: smtpx.MAIL, code: 421, enhanced: "4.7.0", temporary: true, text: "TSS04",
		},
		{
			name: "RCPT refused: no such user",
			server: smtptest.Options{Policy: smtptest.RejectAt(smtpx.RCPT, smtptest.Reply{Code: 550, Enhanced: "5.1.1",
				Lines: []string{"The email account that you tried to reach does not exist."}})},
			stage: smtpx.RCPT, code: 550, enhanced: "5.1.1", text: "does not exist",
		},
		{
			name:    "DATA command refused",
			hostile: &smtptest.Behaviour{Mode: smtptest.RejectDATA, Reply: smtptest.Reply{Code: 554, Enhanced: "5.5.1", Lines: []string{"No valid recipients"}}},
			stage:   smtpx.DATA, code: 554, enhanced: "5.5.1", text: "No valid recipients",
		},
		{
			name: "end of data refused: unauthenticated (Gmail, multi-line)",
			server: smtptest.Options{Policy: smtptest.RejectAt(smtpx.EndOfData, smtptest.Reply{Code: 550, Enhanced: "5.7.26",
				Lines: []string{"This mail has been blocked because the sender is unauthenticated.",
					"Gmail requires all senders to authenticate with either SPF or DKIM.",
					"Authentication results: DKIM = did not pass SPF [sender.test] with ip: [192.0.2.1] = did not pass"}})},
			stage: smtpx.EndOfData, code: 550, enhanced: "5.7.26", text: "Gmail requires all senders",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var addr string
			var srv *smtptest.Server
			if tc.hostile != nil {
				addr = startHostile(t, *tc.hostile).Addr()
			} else {
				srv = startServer(t, tc.server)
				addr = srv.Addr()
			}
			rec := &recorder{}
			env := Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"}}
			if tc.password != "" {
				env.Auth = &Credentials{User: testUser, Password: tc.password}
			}
			_, err := Deliver(context.Background(), options(addr, srv, rec), env, []byte(testMessage))
			var re *ReplyError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want *ReplyError\n%s", err, rec.transcript())
			}
			if st, _ := StageOf(err); st != tc.stage || re.Stage != tc.stage {
				t.Errorf("stage = %v, want %v", st, tc.stage)
			}
			if re.Reply.Code != tc.code || re.Reply.Enhanced != tc.enhanced || re.Temporary() != tc.temporary {
				t.Errorf("reply = %+v temporary=%v, want %d %q temporary=%v", re.Reply, re.Temporary(), tc.code, tc.enhanced, tc.temporary)
			}
			if !strings.Contains(re.Reply.Message(), tc.text) {
				t.Errorf("message %q lacks %q", re.Reply.Message(), tc.text)
			}
			if !strings.Contains(err.Error(), "smtp "+tc.stage.String()+":") {
				t.Errorf("error %q does not name the stage", err)
			}
			if srv != nil && len(srv.Messages()) != 0 {
				t.Errorf("message accepted despite the refusal")
			}
			events := rec.all()
			if last := events[len(events)-1]; last.Kind != KindDone {
				t.Errorf("last event %v, want done", last.Kind)
			}
			if tc.code == 421 && strings.Contains(rec.transcript(), "QUIT") {
				t.Errorf("QUIT sent after 421 (the server has closed):\n%s", rec.transcript())
			}
			assertNoSecret(t, rec)
		})
	}
}
