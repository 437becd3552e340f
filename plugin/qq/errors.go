package qq

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind says who has to act on a failure, which is what the login flow needs
// to decide between "tell the admin", "ask the member to log in again" and
// "try again later".
type Kind int

const (
	// KindUnexpected: QQ (or something in between) answered in a shape we do
	// not understand, or QQ reported an internal error. Retry later; report it
	// if it persists.
	KindUnexpected Kind = iota
	// KindConfig: the site's settings are wrong (AppID, App Key, callback,
	// app review state). Only the admin can fix it.
	KindConfig
	// KindRelogin: the code or token is expired, reused or revoked; the member
	// should start the login again.
	KindRelogin
	// KindRateLimited: QQ throttles the app; retry later.
	KindRateLimited
	// KindPermission: the app lacks an API permission (e.g. unionid).
	KindPermission
	// KindTransport: QQ could not be reached, timed out, or answered with an
	// HTTP error status and no QQ error in the body.
	KindTransport
)

var kindNames = [...]string{"unexpected", "config", "relogin", "rate_limited", "permission", "transport"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ErrClientIDMismatch is wrapped by the *Error returned when /oauth2.0/me
// names another app than ours: the token was not issued to this AppID, so
// the openid in it must not be trusted.
var ErrClientIDMismatch = errors.New("client_id in the /me reply does not match the configured AppID")

// ErrOAuth1TokenMismatch is wrapped when an OAuth 1.0 callback carries
// another oauth_token than the request token kept in the member's session:
// the callback belongs to another login (or was forged).
var ErrOAuth1TokenMismatch = errors.New("the callback's oauth_token is not this session's request token")

// ErrCallbackSignature is wrapped when an OAuth 1.0 callback's
// oauth_signature is not base64(HMAC-SHA1(appkey, openid+timestamp)): the
// openid was not issued by QQ for this app, so it must not be trusted.
var ErrCallbackSignature = errors.New("the callback's openid signature does not verify")

// ErrOpenIDMismatch is wrapped when the OAuth 1.0 access_token answer names
// another openid than the (verified) callback.
var ErrOpenIDMismatch = errors.New("openid in the access token reply differs from the callback's")

// Error is every failure this package returns (transport ones included), so
// callers need a single errors.As to pick a message. None of its fields or
// its Error() string ever holds the App Key, a code or a token.
type Error struct {
	Code        int    // QQ's code (error or ret), 0 if none
	Description string // QQ's error_description/msg (safe to show an admin)
	Endpoint    string // "token", "me", "get_user_info", or an EndpointOAuth1* name
	Kind        Kind
	// HTTPStatus is the response status when one was received (0 otherwise).
	HTTPStatus int
	// Detail is our own diagnosis when QQ gave no code: a redacted excerpt of
	// at most ~100 bytes of the body, the size limit, the mismatching
	// client_id, ... Safe to show an admin.
	Detail string

	fromQQ bool  // the body carried a QQ error/ret (as opposed to our diagnosis)
	err    error // cause, already stripped of URLs and secrets
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("qq ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
	} else {
		b.WriteString("call")
	}
	b.WriteString(": ")
	switch {
	case e.fromQQ || e.Code != 0:
		fmt.Fprintf(&b, "error %d", e.Code)
		if e.Description != "" {
			fmt.Fprintf(&b, " %q", e.Description)
		}
		if e.HTTPStatus != 0 && (e.HTTPStatus < 200 || e.HTTPStatus > 299) {
			fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
		}
	case e.Kind == KindTransport && e.err != nil:
		b.WriteString(e.err.Error())
	default:
		b.WriteString(e.Kind.String())
		if e.HTTPStatus != 0 && (e.HTTPStatus < 200 || e.HTTPStatus > 299) {
			fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
		}
		if e.Detail != "" {
			b.WriteString(": ")
			b.WriteString(e.Detail)
		}
		if e.err != nil {
			b.WriteString(": ")
			b.WriteString(e.err.Error())
		}
	}
	return b.String()
}

// Unwrap exposes the cause (e.g. context.DeadlineExceeded, *url.Error with
// its URL reduced to scheme://host/path, or ErrClientIDMismatch).
func (e *Error) Unwrap() error { return e.err }

// UserMessage is what the member sees: it never blames the member for the
// admin's settings and never shows QQ's raw text.
func (e *Error) UserMessage() (zh, en string) {
	switch e.Kind {
	case KindConfig, KindPermission:
		if e.Code == 110406 || e.Code == 100011 {
			return "本站的QQ登录尚未通过腾讯审核，暂时无法使用，请联系网站管理员",
				"QQ login on this site has not passed Tencent's review yet; please contact the site administrator."
		}
		return "本站的QQ登录设置有误，暂时无法使用，请联系网站管理员",
			"QQ login is misconfigured on this site; please contact the site administrator."
	case KindRelogin:
		return "QQ登录已过期或已被使用，请重新登录",
			"Your QQ login has expired or was already used; please log in with QQ again."
	case KindRateLimited:
		return "QQ登录请求过于频繁，请稍后再试",
			"Too many QQ login requests right now; please try again in a few minutes."
	default:
		return "QQ登录暂时不可用，请稍后再试",
			"QQ login is temporarily unavailable; please try again later."
	}
}

// AdminHint tells the forum admin what to change, in Chinese and English.
// redirectURI is the callback the site sends, so the hint can quote the
// exact string to register.
func (e *Error) AdminHint(redirectURI string) string {
	switch e.Code {
	case 100010, 21006:
		return fmt.Sprintf("在QQ互联管理中心把回调地址精确登记为 %s（不带多余的斜杠、端口，http/https 与子域名须一致） / "+
			"register exactly %s as the callback in the QQ互联 console (no extra trailing slash or port; same scheme and subdomain)",
			redirectURI, redirectURI)
	case 100009, 100002, 100040:
		return "App Key 错误或缺失：从QQ互联管理中心复制 APP Key 到本站设置（注意首尾空格） / " +
			"the App Key is wrong or missing: copy the APP Key from the QQ互联 console into the settings (watch for spaces)"
	case 100001, 100008, 110401, 110404, 100041:
		return "APP ID 错误或缺失：核对本站设置中的 APP ID 与QQ互联管理中心一致 / " +
			"the APP ID is wrong or missing: make it match the APP ID shown in the QQ互联 console"
	case 100013, 100014, 100015, 100016, 100035, 100036, 100037, 100038, 100039, 100042, 100045, 100050, 1002, 2021:
		return "访问令牌无效、过期或被撤销，会员重新登录即可；无需修改设置 / " +
			"the access token is invalid, expired or revoked: the member just logs in again; no setting to change"
	case 100030:
		return "用户未授权或撤销了 get_user_info 权限，需重新登录并授权 / " +
			"the member has not authorized (or revoked) get_user_info: they must log in and authorize again"
	case 110405, 100032:
		return "QQ 对本应用限流，请稍后重试；持续出现请检查是否有异常请求 / " +
			"QQ is rate-limiting this app: retry later; if it persists look for abnormal request volume"
	case 100048, 100049:
		return "应用没有 UnionID 权限（openid 仍可正常使用）：在QQ互联管理中心申请 UnionID，或关闭本站的 UnionID 选项 / " +
			"the app lacks the unionid permission (openid still works): apply for UnionID in the QQ互联 console or turn the unionid option off"
	case 100019, 100020, 100018, 100021:
		return "授权码已过期（10分钟）或被重复使用，请会员重新登录；若总是出现，检查两次请求的回调地址是否完全一致、服务器时间与重复提交 / " +
			"the code expired (10 min) or was reused: the member restarts the login; if it always happens, check that both steps send the identical redirect_uri and that nothing submits the callback twice"
	case 110406, 100011:
		return "应用未通过审核或未上线：此时只有开发者本人的QQ能登录，请在QQ互联管理中心提交审核 / " +
			"the app is not reviewed/online: only the developer's own QQ can log in until it passes review in the QQ互联 console"
	case 100043:
		return "应用已被暂停，请登录QQ互联管理中心查看原因 / the app is suspended: see the QQ互联 console for the reason"
	case 100031, 100051:
		return "应用没有该接口权限，请在QQ互联管理中心申请 / the app lacks permission for this API: apply in the QQ互联 console"
	}
	if e.Code != 0 {
		zh, en := Explain(e.Code)
		return fmt.Sprintf("QQ错误码 %d：%s / QQ error %d: %s", e.Code, zh, e.Code, en)
	}
	if errors.Is(e, ErrClientIDMismatch) {
		return "QQ返回的 client_id 与本站 APP ID 不符（" + e.Detail + "）：核对 APP ID 与 QQ 接口地址（沙箱/正式）是否对应 / " +
			"QQ's client_id does not match the configured APP ID (" + e.Detail + "): check that the APP ID and the QQ API base URL (sandbox vs. real) belong together"
	}
	switch {
	case errors.Is(e, ErrCallbackSignature):
		return "QQ回调中的 openid 签名校验失败：会员重新登录即可；若每次都失败，核对本站 APP Key 与QQ互联（Qzone OAuth 1.0）应用一致 / " +
			"the openid signature of the QQ callback did not verify: the member logs in again; if it always fails, check that the APP Key matches the QQ互联 (Qzone OAuth 1.0) app"
	case errors.Is(e, ErrOAuth1TokenMismatch):
		return "QQ回调不属于本次登录（会话中的 request token 不同），可能是会话丢失、多标签页或伪造的请求；会员重新登录即可；若总是出现，检查会话 Cookie 的域名与路径 / " +
			"the QQ callback does not belong to this login (different request token in the session): lost session, several tabs or a forged request; the member logs in again; if it always happens, check the session cookie's domain and path"
	case errors.Is(e, ErrOpenIDMismatch):
		return "QQ换取 access token 时返回的 openid 与回调不一致（" + e.Detail + "）：请勿信任该次登录，检查QQ接口地址（沙箱/正式）与网络中间设备 / " +
			"QQ's access token reply names another openid than the callback (" + e.Detail + "): do not trust this login; check the QQ API base URL (sandbox vs. real) and anything in between"
	}
	switch e.Kind {
	case KindTransport, KindRateLimited:
		return "无法访问QQ接口或其返回HTTP错误：检查服务器的DNS、防火墙、出站HTTPS与代理设置 / " +
			"the QQ API is unreachable or answered an HTTP error: check DNS, firewall, outbound HTTPS and proxy settings — " + e.Error()
	case KindConfig:
		return "QQ登录设置不完整 / QQ login settings are incomplete — " + e.Error()
	default:
		return "QQ返回了无法识别的响应，请稍后重试，持续出现请反馈 / " +
			"QQ returned an unexpected response: retry later and report it if it persists — " + e.Error()
	}
}

// kindOf maps QQ's codes (§1.6 of qq-api.md) to who must act.
func kindOf(code int) Kind {
	switch code {
	case 100001, 100002, 100008, 100009, 100010, 100011, 100040, 100041, 100043, 100044,
		110401, 110404, 110406, 21006:
		return KindConfig
	case 100013, 100014, 100015, 100016, 100018, 100019, 100020, 100021, 100030, 100035,
		100036, 100037, 100038, 100039, 100042, 100045, 100050, 1002, 2021:
		return KindRelogin
	case 110405, 100032:
		return KindRateLimited
	case 100031, 100048, 100049, 100051:
		return KindPermission
	}
	return KindUnexpected
}

type explanation struct{ zh, en string }

// explanations follows the table in qq-api.md §1.6 (plus the ret values seen
// from get_user_info); built per call so the package has no mutable globals.
func explanations() map[int]explanation {
	return map[int]explanation{
		0:      {"成功", "success"},
		100000: {"缺少参数response_type或response_type非法", "response_type missing or invalid"},
		100001: {"缺少参数client_id（APP ID）", "client_id (APP ID) missing"},
		100002: {"缺少参数client_secret（APP Key）", "client_secret (APP Key) missing"},
		100003: {"http head中缺少Authorization", "Authorization missing from the HTTP header"},
		100004: {"缺少参数grant_type或grant_type非法", "grant_type missing or invalid"},
		100005: {"缺少参数code", "code missing"},
		100006: {"缺少refresh token", "refresh token missing"},
		100007: {"缺少access token", "access token missing"},
		100008: {"该appid不存在", "the appid does not exist"},
		100009: {"client_secret（即appkey）非法", "client_secret (App Key) is invalid"},
		100010: {"回调地址不合法", "the callback (redirect_uri) is invalid (redirect uri is illegal)"},
		100011: {"APP不处于上线状态", "the app is not in the online state"},
		100012: {"HTTP请求非post方式", "the HTTP request is not a POST"},
		100013: {"access token非法", "the access token is invalid"},
		100014: {"access token过期", "the access token expired"},
		100015: {"access token废除（被回收或被用户删除）", "the access token was revoked (reclaimed or deleted by the user)"},
		100016: {"access token验证失败", "access token check failed"},
		100017: {"获取appid失败", "failed to get the appid"},
		100018: {"获取code值失败", "failed to get the code"},
		100019: {"用code换取access token值失败（code错误、过期或回调地址不一致）", "exchanging the code for an access token failed (wrong or expired code, or mismatched redirect_uri)"},
		100020: {"code被重复使用", "the code was reused"},
		100021: {"获取access token值失败", "failed to get the access token"},
		100022: {"获取refresh token值失败", "failed to get the refresh token"},
		100023: {"获取app具有的权限列表失败", "failed to get the app's permission list"},
		100024: {"获取某OpenID对某appid的权限列表失败", "failed to get an OpenID's permission list for the app"},
		100025: {"获取全量api信息、全量分组信息失败", "failed to get the full API and group information"},
		100026: {"设置用户对某app授权api列表失败", "failed to set the user's authorized API list for the app"},
		100027: {"设置用户对某app授权时间失败", "failed to set the user's authorization time for the app"},
		100028: {"缺少参数which", "parameter which missing"},
		100029: {"错误的http请求", "bad HTTP request"},
		100030: {"用户没有对该api进行授权，或用户在腾讯侧删除了该api的权限", "the user has not authorized this API or revoked it on Tencent's side"},
		100031: {"第三方应用没有对该api操作的权限", "the app has no permission for this API"},
		100032: {"过载，请求过于频繁", "overload: too many requests"},
		100033: {"缺少UIN参数", "UIN parameter missing"},
		100034: {"缺少skey参数", "skey parameter missing"},
		100035: {"用户未登录", "the user is not logged in"},
		100036: {"RefreshToken失效", "the refresh token is invalid"},
		100037: {"RefreshToken过期", "the refresh token expired"},
		100038: {"RefreshToken已废除", "the refresh token was revoked"},
		100039: {"RefreshToken到达调用上限", "the refresh token reached its call limit"},
		100040: {"RefreshToken的AppKey非法", "refresh token: the App Key is invalid"},
		100041: {"RefreshToken的AppID非法", "refresh token: the AppID is invalid"},
		100042: {"RefreshToken非法", "the refresh token is illegal"},
		100043: {"APP处于暂停状态", "the app is suspended"},
		100044: {"Header中sign校验失败（MD5签名与注册的不一致）", "bad sign: the MD5 signature differs from the registered one"},
		100045: {"用户改密码，token已失效", "the token was invalidated because the user changed the password"},
		100046: {"g_tk校验失败", "g_tk check failed"},
		100048: {"没有设置companyID（应用没有UnionID权限）", "companyID not set: the app has no unionid permission"},
		100049: {"APPID没有权限(get_unionid)", "the appid lacks the get_unionid permission"},
		100050: {"OPENID解密失败，一般是openid和appid不匹配（另有文档称为refresh_token无效）", "openid decryption failed, usually an openid/appid mismatch (other copies: invalid refresh_token)"},
		100051: {"调试模式下无权限", "no permission in debug mode"},
		110401: {"请求的应用不存在", "the requested app does not exist"},
		110404: {"请求参数缺少appid", "appid missing from the request"},
		110405: {"登录请求被禁止（过于频繁），请稍后再登录", "login requests are throttled; log in again later"},
		110406: {"应用没有通过审核", "the app has not passed review"},
		21006:  {"回调地址不合法（旧版错误码）", "the callback is invalid (legacy code)"},
		1002:   {"请先登录（access token无效）", "please log in first (the access token is not valid)"},
		2021:   {"请先登录", "please log in first"},
	}
}

// Explain gives the meaning of a QQ error code in Chinese and English, for
// logs, the doctor page and AdminHint.
func Explain(code int) (zh, en string) {
	if x, ok := explanations()[code]; ok {
		return x.zh, x.en
	}
	if code >= 110500 && code <= 110510 {
		return "QQ服务器内部错误（授权、令牌、系统、参数、应用信息、签名、code、SKEY或禁用检查失败），请稍后重试",
			"QQ internal error (authorization, token, system, parameter, app info, sign, code, SKEY or disable check failed); retry later"
	}
	return "未知错误码 " + strconv.Itoa(code), "unknown error code " + strconv.Itoa(code)
}
