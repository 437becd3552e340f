package discuz

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// The activation mail of regverify=1 (Email 验证): emailcheck_send() in
// source/function/function_spacecp.php (X3.4 since 2020 and X3.5).

// ActivationAuthStr is what emailcheck_send() stores in
// pre_common_member_field_forum.authstr before it mails the link:
// "timestamp\t3\tidstring", idstring = substr(md5(email), 0, 6). The
// link's handler (misc_emailcheck.php) accepts it only while they match.
func ActivationAuthStr(ts int64, email string) string {
	return strconv.FormatInt(ts, 10) + "\t3\t" + md5hex(email)[:6]
}

// ActivationURL is the link of the mail, as the template receives it
// (HTML, so the query's & are &amp;): siteurl +
// home.php?mod=misc&ac=emailcheck&hash=urlencode(authcode("uid\temail\tts",
// ENCODE, md5(substr(md5(authkey), 0, 16)))).
func ActivationURL(siteURL, authkey string, uid int64, email string, ts int64, rnd io.Reader) (string, error) {
	hash, err := AuthcodeEncode(fmt.Sprintf("%d\t%s\t%d", uid, email, ts), ActivationKey(authkey), 0, rnd)
	if err != nil {
		return "", fmt.Errorf("activation link: %w", err)
	}
	return siteURL + "home.php?mod=misc&amp;ac=emailcheck&amp;hash=" + url.QueryEscape(hash), nil
}

// ActivationKey is the authcode key of the activation hash.
func ActivationKey(authkey string) string { return md5hex(md5hex(authkey)[:16]) }

// ActivationVars are the template's variables (UTF-8).
type ActivationVars struct {
	Username, BBName, SiteURL, URL string
	Charset                        string // the site's CHARSET, "" = utf-8
}

// EmailVerifySubject is lang email_verify_subject (both versions).
const EmailVerifySubject = "Email 地址验证"

// EmailVerifyHTML renders the activation mail as Discuz's sendmail() has
// it before encoding: X3.5 renders template/default/email/email_verify.htm
// (header.htm inlined), X3.4 wraps lang_email's email_verify_message in
// sendmail()'s own <html> frame. The variables go in unescaped, as there.
func EmailVerifyHTML(x35 bool, v ActivationVars) string {
	cs := v.Charset
	if cs == "" {
		cs = "utf-8"
	}
	tpl := emailVerifyX34
	if x35 {
		tpl = emailVerifyX35
	}
	r := strings.NewReplacer("{charset}", cs, "{subject}", EmailVerifySubject, "{username}", v.Username,
		"{bbname}", v.BBName, "{siteurl}", v.SiteURL, "{url}", v.URL)
	return r.Replace(tpl)
}

// emailVerifyX35 is email_verify.htm with its {lang} strings (lang_template.php).
const emailVerifyX35 = `<!DOCTYPE html>
<html>
<head>
<meta charset="{charset}" />
<meta name="renderer" content="webkit" />
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<title>{subject}</title>
</head><body>
{subject}<br />
<p>{username}，这封信是由 {bbname} 发送的。</p>

<p>您收到这封邮件，是由于在 {bbname} 进行了新用户注册，或用户修改 Email 使用了这个邮箱地址。
如果您并没有访问过 {bbname}，或没有进行上述操作，请忽略这封邮件。您不需要退订或进行其他进一步的操作。</p>
<br />
----------------------------------------------------------------------<br />
<strong>账号激活说明</strong><br />
----------------------------------------------------------------------<br />
<br />
<p>如果您是 {bbname} 的新用户，或在修改您的注册 Email 时使用了本地址，我们需要对您的地址有效性进行验证以避免垃圾邮件或地址被滥用。</p>

<p>您只需点击下面的链接即可激活您的账号：<br />

<a href="{url}" target="_blank">{url}</a>
<br />
(如果上面不是链接形式，请将该地址手工粘贴到浏览器地址栏再访问)</p>

<p>感谢您的访问，祝您使用愉快！</p>


<p>
此致<br />

{bbname} 管理团队.<br />
{siteurl}</p>
</body>
</html>`

// emailVerifyX34 is sendmail()'s frame around email_verify_message (lang_email.php).
const emailVerifyX34 = `<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{subject}</title>
</head>
<body>
{subject}<br />
<br />
<p>{username}，<br />
这封信是由 {bbname} 发送的。</p>

<p>您收到这封邮件，是由于在 {bbname} 进行了新用户注册，或用户修改 Email 使用
了这个邮箱地址。如果您并没有访问过 {bbname}，或没有进行上述操作，请忽
略这封邮件。您不需要退订或进行其他进一步的操作。</p>
<br />
----------------------------------------------------------------------<br />
<strong>账号激活说明</strong><br />
----------------------------------------------------------------------<br />
<br />
<p>如果您是 {bbname} 的新用户，或在修改您的注册 Email 时使用了本地址，我们需
要对您的地址有效性进行验证以避免垃圾邮件或地址被滥用。</p>

<p>您只需点击下面的链接即可激活您的账号：<br />

<a href="{url}" target="_blank">{url}</a>
<br />
(如果上面不是链接形式，请将该地址手工粘贴到浏览器地址栏再访问)</p>

<p>感谢您的访问，祝您使用愉快！</p>


<p>
此致<br />

{bbname} 管理团队.<br />
{siteurl}</p>
</body>
</html>`
