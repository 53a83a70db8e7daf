package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/tramita/tramita/internal/oauth"
)

// oauthTokens builds the OAuth token cache from the environment, for the
// mailbox user (the subject of a Google service account):
//
//	TRAMITA_OAUTH_PROVIDER              microsoft | google: fills the token URL and the scope
//	TRAMITA_OAUTH_TENANT                Microsoft tenant (id or domain); required for client credentials
//	TRAMITA_OAUTH_TOKEN_URL             token endpoint (overrides the provider's)
//	TRAMITA_OAUTH_CLIENT_ID             application (client) id
//	TRAMITA_OAUTH_CLIENT_SECRET[_FILE]  client secret, or a file holding it
//	TRAMITA_OAUTH_SCOPE                 scopes, space separated (overrides the provider's)
//	TRAMITA_OAUTH_REFRESH_TOKEN_FILE    refresh-token grant instead of client credentials
//	TRAMITA_OAUTH_SERVICE_ACCOUNT_FILE  Google service account key (domain-wide delegation)
func oauthTokens(getenv func(string) string, user string) (*oauth.Tokens, error) {
	cfg := oauth.Config{
		Provider:           strings.TrimSpace(getenv("TRAMITA_OAUTH_PROVIDER")),
		Tenant:             strings.TrimSpace(getenv("TRAMITA_OAUTH_TENANT")),
		TokenURL:           strings.TrimSpace(getenv("TRAMITA_OAUTH_TOKEN_URL")),
		ClientID:           strings.TrimSpace(getenv("TRAMITA_OAUTH_CLIENT_ID")),
		ClientSecret:       getenv("TRAMITA_OAUTH_CLIENT_SECRET"),
		Scopes:             strings.Fields(getenv("TRAMITA_OAUTH_SCOPE")),
		RefreshTokenFile:   getenv("TRAMITA_OAUTH_REFRESH_TOKEN_FILE"),
		ServiceAccountFile: getenv("TRAMITA_OAUTH_SERVICE_ACCOUNT_FILE"),
		Subject:            user,
	}
	if f := getenv("TRAMITA_OAUTH_CLIENT_SECRET_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: TRAMITA_OAUTH_CLIENT_SECRET_FILE: %v", oauth.ErrConfig, err)
		}
		cfg.ClientSecret = strings.TrimRight(string(b), "\r\n")
	}
	return oauth.New(cfg)
}
