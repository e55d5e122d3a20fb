"""The OpenID Connect provider: the Authlib server, authorization, tokens, clients,
logout, claims, DPoP, the one bearer check of userinfo and the JSON APIs, partner bindings."""
