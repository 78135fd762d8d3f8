package smtptest

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

type backend struct{ s *Server }

// NewSession is called by go-smtp at EHLO/HELO (again after STARTTLS).
func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	sess := &session{s: b.s, conn: c}
	if r := b.s.policy(sess.command(smtpx.EHLO, "")); r != nil {
		return nil, r.smtpError()
	}
	return sess, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) command(st smtpx.Stage, arg string) Command {
	_, tls := s.conn.TLSConnectionState()
	return Command{
		Stage: st, Helo: s.conn.Hostname(), Arg: arg, TLS: tls, User: s.user,
		RemoteAddr: s.conn.Conn().RemoteAddr().String(),
	}
}

func (s *session) AuthMechanisms() []string {
	if s.s.opts.Users == nil {
		return nil
	}
	if m := s.s.opts.AuthMechanisms; m != nil {
		return m
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if r := s.s.policy(s.command(smtpx.AUTH, user)); r != nil {
			return r.smtpError()
		}
		want, ok := s.s.opts.Users[user]
		if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
			return smtp.ErrAuthFailed // 535 5.7.8 (RFC 4954 §6)
		}
		s.user = user
		return nil
	}
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.s.opts.RequireAuth && s.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if r := s.s.policy(s.command(smtpx.MAIL, from)); r != nil {
		return r.smtpError()
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if r := s.s.policy(s.command(smtpx.RCPT, to)); r != nil {
		return r.smtpError()
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r) // bounded by go-smtp's MaxMessageBytes
	if err != nil {
		return err
	}
	c := s.command(smtpx.EndOfData, "")
	c.Message = data
	if rep := s.s.policy(c); rep != nil {
		return rep.smtpError()
	}
	s.s.add(Message{
		Helo: c.Helo, From: s.from, To: append([]string(nil), s.to...), Data: data,
		TLS: c.TLS, User: s.user, RemoteAddr: c.RemoteAddr,
	})
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login), which go-sasl provides only as a client:
// "Username:" then "Password:", or the user name as initial response.
type loginServer struct {
	check    func(user, pass string) error
	user     []byte
	haveUser bool
}

var errLoginDone = errors.New("LOGIN exchange already complete")

func (l *loginServer) Next(resp []byte) (challenge []byte, done bool, err error) {
	switch {
	case !l.haveUser && resp == nil:
		return []byte("Username:"), false, nil
	case !l.haveUser:
		l.user, l.haveUser = bytes.Clone(resp), true
		return []byte("Password:"), false, nil
	case resp == nil:
		return nil, false, errLoginDone
	}
	return nil, true, l.check(string(l.user), string(resp))
}
