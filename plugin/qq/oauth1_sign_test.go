package qq

import (
	"net/url"
	"strings"
	"testing"
)

func TestPercentEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"AZaz09-._~", "AZaz09-._~"},  // unreserved, "~" included
		{"a b", "a%20b"},              // space is %20, never "+"
		{"a+b", "a%2Bb"},              // a literal "+" is escaped
		{"%7E", "%257E"},              // "%" itself is escaped, no decoding
		{"飞", "%E9%A3%9E"},            // UTF-8 byte by byte, upper-case hex
		{"\x00\xff\x7f", "%00%FF%7F"}, // control and invalid UTF-8 bytes
		{"!*'()", "%21%2A%27%28%29"},  // sub-delims that url.QueryEscape keeps
		{":/?#[]@", "%3A%2F%3F%23%5B%5D%40"},
		{"$&+,;=", "%24%26%2B%2C%3B%3D"},
		{"http://printer.example.com/ready", "http%3A%2F%2Fprinter.example.com%2Fready"},
		// Independently computed with PHP rawurlencode (RFC 3986 since 5.3).
		{"a b+c~飞/?%\x00\xff", "a%20b%2Bc~%E9%A3%9E%2F%3F%25%00%FF"},
	}
	for _, tt := range tests {
		if got := PercentEncode(tt.in); got != tt.want {
			t.Errorf("PercentEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		got := PercentEncode(s)
		if unreserved(byte(c)) != (got == s) || (got != s && (len(got) != 3 || got != strings.ToUpper(got))) {
			t.Errorf("byte %#x -> %q", c, got)
		}
	}
}

// RFC 5849 §3.4.1.1 example request:
//
//	POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b HTTP/1.1
//	Host: example.com
//	Authorization: OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2",
//	  oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1",
//	  oauth_timestamp="137131201", oauth_nonce="7d8f3e4a",
//	  oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"
//	(body) c2&a3=2+q
//
// realm and oauth_signature are not signed.
func rfc3411Params() url.Values {
	return url.Values{
		"b5":                     {"=%3D"},
		"a3":                     {"a", "2 q"},
		"c@":                     {""},
		"a2":                     {"r b"},
		"c2":                     {""},
		"oauth_consumer_key":     {"9djdj82h48djs9d2"},
		"oauth_token":            {"kkk9d7dh3k39sjv7"},
		"oauth_signature_method": {"HMAC-SHA1"},
		"oauth_timestamp":        {"137131201"},
		"oauth_nonce":            {"7d8f3e4a"},
		"oauth_signature":        {"bYT5CMsGcbgUdFHObYMEfcx6bsw="},
	}
}

func TestRFC5849NormalizedParameters(t *testing.T) {
	// §3.4.1.3.2, as printed (one line).
	const want = "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2" +
		"&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7"
	if got := normalizedParams(rfc3411Params()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestRFC5849SignatureBaseString(t *testing.T) {
	// §3.4.1.1, as printed (the RFC wraps it; no whitespace in the value).
	const want = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q" +
		"%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_" +
		"key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m" +
		"ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk" +
		"9d7dh3k39sjv7"
	if got := SignatureBaseString("post", "http://example.com/request", rfc3411Params()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// The same with the query left in the URI (§3.4.1.3.1: it is signed).
	p := rfc3411Params()
	for _, k := range []string{"b5", "c@", "a2"} {
		delete(p, k)
	}
	p["a3"] = []string{"2 q"}
	if got := SignatureBaseString("POST", "HTTP://EXAMPLE.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", p); got != want {
		t.Fatalf("query in URI:\ngot  %s\nwant %s", got, want)
	}
	// The RFC prints no secrets for this request, so its
	// bYT5CMsGcbgUdFHObYMEfcx6bsw= cannot be reproduced. With the secrets
	// other test suites pair with this example (client j49sk3j29djd, token
	// dh893hdasih9) openssl gives:
	//   printf %s "$want" | openssl dgst -sha1 -hmac 'j49sk3j29djd&dh893hdasih9' -binary | base64
	if got := HMACSHA1Signature(want, "j49sk3j29djd", "dh893hdasih9"); got != "r6/TJjbCOr97/+UU0NsvSne7s5g=" {
		t.Fatalf("signature %s", got)
	}
}

func TestBaseStringURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://example.com/request", "http://example.com/request"},
		{"HTTP://EXAMPLE.COM:80/r%20b/", "http://example.com/r%20b/"},
		{"https://www.example.net:8080/?q=1#frag", "https://www.example.net:8080/"},
		{"https://photos.example.net:443/initiate", "https://photos.example.net/initiate"},
		{"http://example.com:443/x", "http://example.com:443/x"},
		{"http://example.com", "http://example.com/"},
		{"http://127.0.0.1:54321/sandbox/oauth/qzoneoauth_request_token", "http://127.0.0.1:54321/sandbox/oauth/qzoneoauth_request_token"},
	}
	for _, tt := range tests {
		if got, _ := baseStringURI(tt.in); got != tt.want {
			t.Errorf("baseStringURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHMACSHA1Vectors(t *testing.T) {
	tests := []struct {
		name, method, uri  string
		params             url.Values
		consumer, tokenSec string
		wantBase, wantSig  string
	}{
		{
			// OAuth Core 1.0 Appendix A.5.1/A.5.2 (the photos.example.net
			// walkthrough whose RFC 5849 §1.2 version is checked below).
			name: "core1.0 A.5", method: "GET", uri: "http://photos.example.net/photos",
			params: url.Values{"file": {"vacation.jpg"}, "size": {"original"}, "oauth_consumer_key": {"dpf43f3p2l4k3l03"},
				"oauth_token": {"nnch734d00sl2jdk"}, "oauth_signature_method": {"HMAC-SHA1"},
				"oauth_timestamp": {"1191242096"}, "oauth_nonce": {"kllo9940pd9333jh"}, "oauth_version": {"1.0"}},
			consumer: "kd94hf93k423kf44", tokenSec: "pfkkdhi9sl3r4s00",
			wantBase: "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03" +
				"%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096" +
				"%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal",
			wantSig: "tR3+Ty81lMeYAr/Fid0kMTYa/WM=",
		},
		{
			// RFC 5849 §1.2, temporary credentials (realm not signed).
			name: "rfc5849 1.2 initiate", method: "POST", uri: "https://photos.example.net/initiate",
			params: url.Values{"oauth_consumer_key": {"dpf43f3p2l4k3l03"}, "oauth_signature_method": {"HMAC-SHA1"},
				"oauth_timestamp": {"137131200"}, "oauth_nonce": {"wIjqoS"}, "oauth_callback": {"http://printer.example.com/ready"}},
			consumer: "kd94hf93k423kf44",
			wantSig:  "74KNZJeDHnMBp0EMJ9ZHt/XKycU=",
		},
		{
			name: "rfc5849 1.2 token", method: "POST", uri: "https://photos.example.net/token",
			params: url.Values{"oauth_consumer_key": {"dpf43f3p2l4k3l03"}, "oauth_token": {"hh5s93j4hdidpola"},
				"oauth_signature_method": {"HMAC-SHA1"}, "oauth_timestamp": {"137131201"}, "oauth_nonce": {"walatlh"},
				"oauth_verifier": {"hfdp7dh39dks9884"}},
			consumer: "kd94hf93k423kf44", tokenSec: "hdhd0244k9j7ao03",
			wantSig: "gKgrFCywp7rO0OXSjdot/IHF7IU=",
		},
		{
			name: "rfc5849 1.2 resource", method: "GET", uri: "http://photos.example.net/photos",
			params: url.Values{"file": {"vacation.jpg"}, "size": {"original"}, "oauth_consumer_key": {"dpf43f3p2l4k3l03"},
				"oauth_token": {"nnch734d00sl2jdk"}, "oauth_signature_method": {"HMAC-SHA1"},
				"oauth_timestamp": {"137131202"}, "oauth_nonce": {"chapoH"}},
			consumer: "kd94hf93k423kf44", tokenSec: "pfkkdhi9sl3r4s00",
			wantSig: "MdpQcU8iPSUjWoN/UDMsK2sui9I=",
		},
		// Own vectors: base strings built by PHP (rawurlencode per name and
		// value, usort, rawurlencode of the join), signatures by
		// `printf %s "$base" | openssl dgst -sha1 -hmac "$key" -binary | base64`.
		{
			name: "qq request_token", method: "GET", uri: "http://openapi.qzone.qq.com/oauth/qzoneoauth_request_token",
			params:   qqParams("123456789", "1300000000", nil),
			consumer: testAppKey,
			wantBase: "GET&http%3A%2F%2Fopenapi.qzone.qq.com%2Foauth%2Fqzoneoauth_request_token&oauth_consumer_key%3D101896710" +
				"%26oauth_nonce%3D123456789%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1300000000%26oauth_version%3D1.0",
			wantSig: "Gd+hxqG6KHqWcyDZu0SGpCMsK8M=",
		},
		{
			name: "qq access_token", method: "GET", uri: "http://openapi.qzone.qq.com/oauth/qzoneoauth_access_token",
			params:   qqParams("987654321", "1300000100", url.Values{"oauth_token": {"7b4f2c9e1a3d5f60"}, "oauth_vericode": {"a1b2c3d4"}}),
			consumer: testAppKey, tokenSec: "e5f6a7b8c9d0e1f2",
			wantSig: "wAGgfVhPbDBwnmttSitXe0vgyqU=",
		},
		{
			name: "qq get_user_info", method: "GET", uri: "http://openapi.qzone.qq.com/user/get_user_info",
			params: qqParams("555", "1300000200", url.Values{"oauth_token": {"AT5E2C0B9D8A7F61"},
				"openid": {testOpenID}, "format": {"json"}}),
			consumer: testAppKey, tokenSec: "f0e1d2c3b4a59687",
			wantBase: "GET&http%3A%2F%2Fopenapi.qzone.qq.com%2Fuser%2Fget_user_info&format%3Djson%26oauth_consumer_key%3D101896710" +
				"%26oauth_nonce%3D555%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1300000200" +
				"%26oauth_token%3DAT5E2C0B9D8A7F61%26oauth_version%3D1.0%26openid%3D1AE29162841F18BC992BF91A445570C5",
			wantSig: "03H6jGR8fFGX/EnbgR6uN3Uz3OU=",
		},
		{
			// Encoding edge cases in names, values, URI and both secrets
			// (key = enc("cs&1 ~") & enc("ts/2") = "cs%261%20~&ts%2F2").
			name: "encoding edges", method: "post", uri: "HTTPS://Example.COM:443/a%20b/c?x=1+2",
			params: url.Values{"name": {"飞翔 企鹅", "A"}, "sym": {"!*'();:@&=+$,/?#[]"}, "tilde": {"~-._"},
				"empty": {""}, "pct": {"%7E"}},
			consumer: "cs&1 ~", tokenSec: "ts/2",
			wantBase: "POST&https%3A%2F%2Fexample.com%2Fa%2520b%2Fc&empty%3D%26name%3D%25E9%25A3%259E%25E7%25BF%2594%2520%25E4%25BC%2581%25E9%25B9%2585" +
				"%26name%3DA%26pct%3D%25257E%26sym%3D%2521%252A%2527%2528%2529%253B%253A%2540%2526%253D%252B%2524%252C%252F%253F%2523%255B%255D" +
				"%26tilde%3D~-._%26x%3D1%25202",
			wantSig: "7UMuODCNHhcoo5Kzj6qFO0CNWS4=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := SignatureBaseString(tt.method, tt.uri, tt.params)
			if tt.wantBase != "" && base != tt.wantBase {
				t.Fatalf("base\ngot  %s\nwant %s", base, tt.wantBase)
			}
			if got := HMACSHA1Signature(base, tt.consumer, tt.tokenSec); got != tt.wantSig {
				t.Fatalf("signature %s, want %s (base %s)", got, tt.wantSig, base)
			}
		})
	}
}

func qqParams(nonce, ts string, extra url.Values) url.Values {
	p := url.Values{"oauth_consumer_key": {testAppID}, "oauth_nonce": {nonce}, "oauth_signature_method": {"HMAC-SHA1"},
		"oauth_timestamp": {ts}, "oauth_version": {"1.0"}}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func TestSignatureBaseStringDoesNotMutate(t *testing.T) {
	p := url.Values{"a": {"1"}}
	SignatureBaseString("GET", "http://example.com/?b=2", p)
	if len(p) != 1 || len(p["a"]) != 1 {
		t.Fatalf("params changed: %v", p)
	}
}

// The openid check: base64(HMAC-SHA1(key=appkey, openid+timestamp)), from
//
//	printf %s 1AE29162841F18BC992BF91A445570C51300000000 |
//	  openssl dgst -sha1 -hmac 9c1e6a4b7d2f8e0a3b5c7d9e1f2a4b6c -binary | base64
const testCallbackSig = "IXOi3tQRWFw64g1AqDtErrSQWzQ="

func TestVerifyCallbackSignature(t *testing.T) {
	tests := []struct {
		name                 string
		key, openid, ts, sig string
		want                 bool
	}{
		{"good", testAppKey, testOpenID, "1300000000", testCallbackSig, true},
		{"plus as space", testAppKey, testOpenID, "1300000000", strings.ReplaceAll(testCallbackSig, "+", " "), true},
		{"padding stripped", testAppKey, testOpenID, "1300000000", strings.TrimRight(testCallbackSig, "="), true},
		{"other timestamp", testAppKey, testOpenID, "1300000001", testCallbackSig, false},
		{"other openid", testAppKey, "1AE29162841F18BC992BF91A445570C6", "1300000000", testCallbackSig, false},
		{"other key", testAppKey + "x", testOpenID, "1300000000", testCallbackSig, false},
		{"key with &", testAppKey + "&", testOpenID, "1300000000", testCallbackSig, false},
		{"flipped char", testAppKey, testOpenID, "1300000000", "JXOi3tQRWFw64g1AqDtErrSQWzQ=", false},
		{"truncated", testAppKey, testOpenID, "1300000000", testCallbackSig[:20], false},
		{"hex instead of base64", testAppKey, testOpenID, "1300000000", "2173a2ded411585c3ae20d40a83b44aeb4905b34", false},
		{"not base64", testAppKey, testOpenID, "1300000000", "!!!!", false},
		{"empty sig", testAppKey, testOpenID, "1300000000", "", false},
		{"empty key", "", testOpenID, "1300000000", testCallbackSig, false},
		{"empty timestamp", testAppKey, testOpenID, "", testCallbackSig, false},
		{"huge", testAppKey, testOpenID, "1300000000", strings.Repeat("A", 1000), false},
	}
	for _, tt := range tests {
		if got := VerifyCallbackSignature(tt.key, tt.openid, tt.ts, tt.sig); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}
