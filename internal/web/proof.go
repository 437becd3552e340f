package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"github.com/gin-gonic/gin"
)

// The doctor proves that the forum's public URLs reach this qqconnect (and
// not nginx's 404 or the forum's own PHP): it sends a random nonce in
// ProofNonceHeader and expects ProofHeader = HMAC-SHA256(key derived from
// the authkey, nonce) back. Only a qqconnect of this forum knows the key;
// the nonce keeps the answer from being replayed, and nothing fixed about
// the authkey is ever published.
const (
	ProofNonceHeader = "X-QQConnect-Nonce"
	ProofHeader      = "X-QQConnect-Proof"
	maxNonce         = 64
)

// InstanceProof is the answer to nonce for a forum with this authkey.
func InstanceProof(authkey, nonce string) string {
	k := sha256.Sum256([]byte("qqconnect instance proof\x00" + authkey))
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(nonce))
	return hex.EncodeToString(m.Sum(nil))
}

// Proof is the middleware that answers the doctor's nonce on every response.
func Proof(authkey string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if n := c.GetHeader(ProofNonceHeader); n != "" && len(n) <= maxNonce {
			c.Header(ProofHeader, InstanceProof(authkey, n))
		}
		c.Next()
	}
}
