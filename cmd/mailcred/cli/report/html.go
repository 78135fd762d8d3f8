package report

import (
	"bytes"
	"fmt"
	"html"
	"image/color"
	"io"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/mailcred/mailcred/themes"
)

// HTML writes the report as one self-contained HTML page (inline CSS, no
// scripts, no external resources) in the theme's palette on a light page,
// for printing or attaching to a ticket. The content is the Markdown
// report rendered by goldmark, which escapes raw HTML: untrusted text
// (SMTP replies, DNS answers) cannot inject markup.
func HTML(w io.Writer, f *Findings, o Options) error {
	th, err := themes.New(o.Theme, false)
	if err != nil {
		return err
	}
	var md bytes.Buffer
	if err := Markdown(&md, f, o); err != nil {
		return err
	}
	var body bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.Table))
	if err := gm.Convert(md.Bytes(), &body); err != nil {
		return err
	}
	page := body.String()
	// Colour the status cells: "<td>✗ fail</td>" gets the fail class.
	for status, sym := range symbols {
		page = strings.ReplaceAll(page, "<td>"+sym+" "+status+"</td>", `<td class="st `+status+`">`+sym+" "+status+"</td>")
	}
	title := "mailcred report"
	if f.Domain != "" {
		title += ": " + f.Domain
	}
	_, err = fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mailcred %s">
<title>%s</title>
<style>
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; background: #fff; }
h1, h2, h3 { line-height: 1.25; } h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; margin-top: 2rem; }
h2, h3 { color: %s; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; vertical-align: top; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; }
blockquote { color: %s; border-left: 3px solid %s; margin: 0; padding-left: .8rem; }
.st { white-space: nowrap; font-weight: 600; }
.pass { color: %s; } .warn { color: %s; } .fail { color: %s; } .info { color: %s; } .skip, .pending { color: %s; } .error { color: %s; }
</style>
</head>
<body>
%s</body>
</html>
`, html.EscapeString(o.Version), html.EscapeString(title), css(th.Accent), css(th.Muted), css(th.Muted),
		css(th.Pass), css(th.Warn), css(th.Fail), css(th.Info), css(th.Skip), css(th.Error), page)
	return err
}

// css is a style's foreground as a CSS colour; the page's text colour for
// a style without one (the mono theme).
func css(s lipgloss.Style) string {
	c := s.GetForeground()
	if _, ok := c.(lipgloss.NoColor); ok {
		return "inherit"
	}
	return hex(c)
}

func hex(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}
