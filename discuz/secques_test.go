package discuz

import "testing"

// TestQuesCrypt: vectors computed with Python's hashlib from UCenter's
// formula, the answer in UTF-8 and in GBK.
func TestQuesCrypt(t *testing.T) {
	gbk, err := ToCharset("张三", "gbk")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		id     int
		answer string
		want   string
	}{
		{1, "张三", "a100ac15"},
		{7, "1234", "8d9edc3d"},
		{3, "𠮷野家🐧", "e1bc04a6"},
		{2, gbk, "86debfa6"},
		{0, "张三", ""},
		{4, "", ""},
	}
	for _, c := range cases {
		if got := QuesCrypt(c.id, []byte(c.answer)); got != c.want {
			t.Errorf("QuesCrypt(%d, %q) = %q, want %q", c.id, c.answer, got, c.want)
		}
	}
}
