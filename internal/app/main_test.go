package app

import (
	"os"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode) // as main does; debug mode prints every route
	os.Exit(m.Run())
}
