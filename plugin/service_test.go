package plugin

import (
	"testing"

	"qqconnect/discuz"
	"qqconnect/models"
)

func connectWith(t *testing.T, serialized string) *models.QQSettings {
	t.Helper()
	arr, err := discuz.UnserializeArray([]byte(serialized))
	if err != nil {
		t.Fatal(err)
	}
	return &models.QQSettings{Connect: arr}
}

// TestProtocol: Discuz's rule (X3.4+ always OAuth 2.0; X3.2/X3.3 only with a
// truthy connect.oauth2), and the QQCONNECT_QQ_PROTOCOL override.
func TestProtocol(t *testing.T) {
	falsy := `a:2:{s:5:"allow";s:1:"1";s:6:"oauth2";i:0;}`
	truthy := `a:2:{s:5:"allow";s:1:"1";s:6:"oauth2";s:1:"1";}`
	missing := `a:1:{s:5:"allow";s:1:"1";}`
	cases := []struct {
		setting, version, connect, want string
	}{
		{"auto", "X3.5", falsy, "oauth2"},
		{"auto", "X3.4", missing, "oauth2"},
		{"auto", "", falsy, "oauth2"}, // unknown version: never guess the retired protocol
		{"auto", "X3.3", falsy, "oauth1"},
		{"auto", "X3.2", missing, "oauth1"},
		{"auto", "X3.3", truthy, "oauth2"},
		{"oauth1", "X3.5", truthy, "oauth1"},
		{"oauth2", "X3.3", falsy, "oauth2"},
	}
	for _, c := range cases {
		s := &Service{ProtocolSetting: c.setting, DiscuzVersion: c.version}
		if got := s.Protocol(connectWith(t, c.connect)); got != c.want {
			t.Errorf("%s/%s/%s: %s, want %s", c.setting, c.version, c.connect, got, c.want)
		}
	}
}

// TestInitCredits: initcredits seeds credits and extcredits; the QQ
// registration bonus goes to connect.register_rewardcredit.
func TestInitCredits(t *testing.T) {
	cases := []struct {
		init, connect string
		credits       int64
		ext           [9]int64
	}{
		{"0,0,0,0,0,0,0,0,0", `a:2:{s:21:"register_rewardcredit";s:1:"1";s:18:"register_addcredit";s:0:"";}`, 0, [9]int64{}},
		{"5,10,0,0,0,0,0,0,0", `a:2:{s:21:"register_rewardcredit";s:1:"2";s:18:"register_addcredit";s:1:"3";}`, 5, [9]int64{0, 10, 3}},
		{"", `a:2:{s:21:"register_rewardcredit";s:1:"9";s:18:"register_addcredit";s:1:"3";}`, 0, [9]int64{}},
	}
	for _, c := range cases {
		q := connectWith(t, c.connect)
		q.InitCredits = c.init
		var n models.NewMember
		(&Service{}).applyInitCredits(q, &n)
		if n.Credits != c.credits || n.ExtCredits != c.ext {
			t.Errorf("%q %s: credits %d ext %v, want %d %v", c.init, c.connect, n.Credits, n.ExtCredits, c.credits, c.ext)
		}
	}
}
