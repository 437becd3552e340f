package discuz

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
)

// SecurityQuestions are Discuz's 安全提问, by questionid (1–7; 0 = none),
// as the login form lists them (lang_template security_question_N).
var SecurityQuestions = [...]string{1: "母亲的名字", 2: "爷爷的名字", 3: "父亲出生的城市", 4: "您其中一位老师的名字",
	5: "您个人计算机的型号", 6: "您最喜欢的餐馆名称", 7: "驾驶执照最后四位数字"}

// QuesCrypt is UCenter's quescrypt: what ucenter_members.secques holds for
// a question and its answer (the answer's bytes in the site's charset):
// substr(md5(answer.md5(questionid)), 16, 8), or "" without a question or
// an answer. UCenter's login compares it with secques whatever was typed,
// so an account without a question refuses a login that gives one.
func QuesCrypt(questionID int, answer []byte) string {
	if questionID <= 0 || len(answer) == 0 {
		return ""
	}
	inner := md5.Sum([]byte(strconv.Itoa(questionID)))
	sum := md5.Sum(append(append([]byte(nil), answer...), hex.EncodeToString(inner[:])...))
	return hex.EncodeToString(sum[:])[16:24]
}
