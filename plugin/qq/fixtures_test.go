package qq

// Bodies QQ really sends, from docs/qq-api.md §1.2, §1.4, §1.5 (abridged
// values such as "FE04****CCE2" or "…" completed with plausible hex).
const (
	testAppID       = "101896710"
	testAppKey      = "9c1e6a4b7d2f8e0a3b5c7d9e1f2a4b6c"
	testAccessToken = "A852CFCD2CD60BF58D3BCA9635CDDC01"
	testRefresh     = "3EBCD83C8CB7DE7E889A81250E1D4C6B"
	testCode        = "9A5F8E2C6B1D4F7A0C3E5B8D2F6A06AF"
	testOpenID      = "1AE29162841F18BC992BF91A445570C5"
	testUnionID     = "UID_B08D412EEC4000FFC37CAABBDC1234CC"

	// §1.2 default format (form-encoded, served as text/html).
	tokenForm        = "access_token=FE04************************CCE2&expires_in=7776000&refresh_token=88E4************************BE14"
	tokenForm5184000 = "access_token=FE04************************CCE2&expires_in=5184000&refresh_token=88E4************************BE14\n"
	// §1.2 fmt=json, observed 2025-09: expires_in is a JSON string.
	tokenJSONString = `{"access_token":"A852CFCD2CD60BF58D3BCA9635CDDC01","expires_in":"5184000","refresh_token":"3EBCD83C8CB7DE7E889A81250E1D4C6B"}`
	tokenJSONNumber = `{"access_token":"A852CFCD2CD60BF58D3BCA9635CDDC01","expires_in":7776000,"refresh_token":"3EBCD83C8CB7DE7E889A81250E1D4C6B","openid":"1AE29162841F18BC992BF91A445570C5"}`
	// §1.2 errors: JSONP in the default format, JSON with fmt=json.
	tokenJSONPReused   = "callback( {\"error\":100020,\"error_description\":\"code is reused error\"} );\n"
	tokenJSONCodeError = `{"error":100019,"error_description":"code to access token error"}`
	tokenJSONStrError  = `{"error":"100019","error_description":"code to access token error"}`
	tokenJSONRedirect  = `{"error":100010,"error_description":"redirect uri is illegal"}`
	tokenJSONBadSecret = `{"error":100009,"error_description":"client_secret is wrong"}`
	tokenTruncated     = `{"access_token":"A852CFCD2CD60BF58D3BCA9635CDDC01","expires_in":"51`

	// §1.4 default JSONP (note the spaces and the trailing ");\n").
	meJSONP        = "callback( {\"client_id\":\"101896710\",\"openid\":\"1AE29162841F18BC992BF91A445570C5\"} );\n"
	meJSONPUnionID = "callback( {\"client_id\":\"101896710\",\"openid\":\"1AE29162841F18BC992BF91A445570C5\",\"unionid\":\"UID_B08D412EEC4000FFC37CAABBDC1234CC\"} );\n"
	meJSONPSpaces  = "\n  callback(\n\t{ \"client_id\" : \"101896710\",\n \"openid\" : \"1AE29162841F18BC992BF91A445570C5\" }\n  )\r\n ; \n"
	meJSON         = `{"client_id":"101896710","openid":"1AE29162841F18BC992BF91A445570C5","unionid":"UID_B08D412EEC4000FFC37CAABBDC1234CC"}`
	meJSONPError   = "callback( {\"error\":100016,\"error_description\":\"access token check failed\"} );\n"
	meJSONIllegal  = `{"error":100013,"error_description":"access token is illegal"}`
	meCompanyID    = `{"error":100048,"error_description":"companyid not set"}`
	meCompanyJSONP = "callback( {\"error\":100048,\"error_description\":\"companyid not set\"} );\n"
	meNoUnionPerm  = `{"error":100049,"error_description":"no get_unionid permission"}`
	// §1.4 legacy WAP /moc2/me.
	meWAPForm = "client_id=100222222&openid=17042B5C7D9E1F2A4B6C8D0E2F4A878C"

	// §1.5 abridged from casdoor's real response.
	userInfoOK = `{"ret":0,"msg":"","is_lost":0,"nickname":"飞翔的企鹅","gender":"男","gender_type":1,"province":"","city":"安道尔城","year":"1968","constellation":"",` +
		`"figureurl":"http://qzapp.qlogo.cn/qzapp/101896710/C0D0A4/30",` +
		`"figureurl_qq_1":"http://thirdqq.qlogo.cn/g?b=oidb&k=QtAu5OiaSfqGD0kfclwvxJA&s=40&t=1557635654",` +
		`"figureurl_qq_2":"http://thirdqq.qlogo.cn/g?b=oidb&k=QtAu5OiaSfqGD0kfclwvxJA&s=100&t=1557635654","figureurl_qq":"http://thirdqq.qlogo.cn/g?b=oidb&k=QtAu5OiaSfqGD0kfclwvxJA&s=640&t=1557635654",` +
		`"figureurl_type":"1","is_yellow_vip":"0","vip":"0","yellow_vip_level":"0","level":"0","is_yellow_year_vip":"0"}`
	userInfoNoQQ2   = `{"ret":0,"msg":"","nickname":"Tom","figureurl_qq_1":"http://q.qlogo.cn/qqapp/101896710/1AE29162841F18BC992BF91A445570C5/40"}`
	userInfoOnlyQQ  = `{"ret":0,"msg":"","nickname":"Tom","figureurl_qq":"http://thirdqq.qlogo.cn/g?b=oidb&k=x&s=100"}`
	userInfoHTML    = `{"ret":0,"msg":"","nickname":"<b>飞翔</b>的<img src=x onerror=alert(1)>企鹅 &lt;script&gt;x&lt;/script&gt;","figureurl_qq_1":"javascript:alert(1)","figureurl_qq":"http://q.qlogo.cn/a"}`
	userInfo1002    = `{"ret":1002,"msg":"请先登录"}`
	userInfo2021    = `{"ret":2021,"msg":"请先登录"}`
	userInfoMinus1  = `{"ret":-1,"msg":"client request's parameters are invalid"}`
	userInfo100030  = `{"ret":100030,"msg":"this api without user authorization"}`
	userInfoNoRet   = `{"nickname":"Tom","figureurl_qq_1":"http://q.qlogo.cn/a"}`
	htmlErrorPage   = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	htmlLoginNotice = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>QQ登录</title></head><body>redirect uri is illegal(100010)<p>通知: QQ互联加强网站应用回调地址校验</p></body></html>"
)
