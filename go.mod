module github.com/chatwidget/identity

go 1.26

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/google/uuid v1.6.0
	github.com/syumai/workers v0.32.0
)
