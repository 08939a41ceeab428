//go:build tools

package tools

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/glebarez/sqlite"
	_ "github.com/go-fed/activity/streams"
	_ "github.com/go-fed/httpsig"
	_ "github.com/labstack/echo/v4"
	_ "github.com/microcosm-cc/bluemonday"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/yuin/goldmark"
	_ "golang.org/x/crypto/bcrypt"
	_ "golang.org/x/image/webp"
	_ "golang.org/x/net/html"
	_ "golang.org/x/time/rate"
	_ "gopkg.in/yaml.v3"
	_ "gorm.io/driver/postgres"
	_ "gorm.io/gorm"
)
