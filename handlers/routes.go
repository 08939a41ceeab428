package handlers

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Routes registers every route of the server, in one place.
func (s *Server) Routes(e *echo.Echo) {
	e.HTTPErrorHandler = s.errorHandler
	// Client IPs (rate limits, comment records): X-Forwarded-For is
	// trusted only from the configured proxies (client_ip.go).
	e.IPExtractor = s.ipExtractor()
	e.Pre(s.securityHeaders())
	e.Pre(headAsGet)
	e.Pre(addTrailingSlash)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true}))
	e.Use(s.requestLog)
	e.Use(s.metricsMiddleware)

	// Operations.
	e.GET("/healthz", s.healthShow)
	e.GET("/readyz", s.readyShow)
	e.GET("/metrics", s.metricsShow)

	// Reading the blog.
	// Reading pages are served from the page cache (see page_cache.go).
	cached := s.cachePage
	e.GET("/", s.homeShow, cached)
	e.GET("/:year/", s.archiveYearShow, cached)
	e.GET("/:year/:month/", s.archiveMonthShow, cached)
	e.GET("/:year/:month/:slug/", s.articleShow, cached)
	e.GET("/:year/:month/:day/:slug/", s.legacyRedirect) // WordPress /2012/11/17/slug/
	e.POST("/:year/:month/:slug/comments", s.commentCreate, s.commentLimit)
	e.GET("/tag/:slug/", s.tagShow, cached)
	e.GET("/@:username/", s.profileShow, cached)
	e.GET("/feed.xml", s.feedRSS, cached)
	e.GET("/atom.xml", s.feedAtom, cached)
	e.GET("/comments/feed.xml", s.feedComments, cached)
	e.GET("/sitemap.xml", s.sitemapShow, cached)
	e.GET("/robots.txt", s.robotsShow)
	e.GET("/media/:name", s.mediaShow)

	// Search, and the addresses WordPress readers and feed readers already
	// use (wordpress_redirect.go); per-tag and per-author feeds.
	e.GET("/search", s.searchShow, cached)
	e.GET("/search/", s.searchShow, cached)
	e.GET("/search/:q/", s.searchRedirect)
	e.GET("/feed/", s.wpFeedRedirect)
	e.GET("/feed/:kind/", s.wpFeedRedirect)
	e.GET("/comments/feed", s.wpFeedRedirect)
	e.GET("/comments/feed/", s.wpFeedRedirect)
	e.GET("/page/:n/", s.wpPageRedirect)
	e.GET("/tag/:slug/page/:n/", s.wpPageRedirect)
	e.GET("/tag/:slug/feed/", s.tagFeedShow, cached)
	e.GET("/category/*", s.categoryRedirect)
	e.GET("/author/:name/", s.authorRedirect)
	e.GET("/author/:name/page/:n/", s.wpPageRedirect)
	e.GET("/author/:name/feed/", s.authorFeedShow, cached)
	e.GET("/static/*", s.staticShow)

	// First-run setup and the admin area.
	e.GET("/setup", s.setupShow)
	e.POST("/setup", s.setupCreate)
	e.GET("/admin/login", s.loginShow)
	e.POST("/admin/login", s.loginCreate)
	e.GET("/admin/lost-password/", s.lostPasswordShow)
	e.POST("/admin/lost-password", s.lostPasswordCreate, s.lostPasswordLimit)
	e.GET("/admin/reset-password/", s.resetPasswordShow)
	e.POST("/admin/reset-password", s.resetPasswordCreate)
	admin := e.Group("/admin", s.requireLogin, s.csrfCheck)
	admin.POST("/logout", s.logoutCreate)
	admin.GET("/", s.dashboardShow)
	admin.GET("/articles/", s.adminArticlesList)
	admin.GET("/articles/new/", s.articleNew)
	admin.POST("/articles", s.articleCreate)
	admin.GET("/articles/:id/edit/", s.articleEdit)
	admin.POST("/articles/:id", s.articleUpdate)
	admin.POST("/articles/:id/delete", s.articleDelete)
	admin.GET("/articles/:id/deliveries/", s.deliveriesShow)
	admin.POST("/articles/autosave", s.articleAutosave)
	admin.POST("/articles/:id/autosave", s.articleAutosave)
	admin.GET("/articles/:id/revisions/", s.articleRevisionsShow)
	admin.POST("/articles/:id/revisions/:rev/restore", s.articleRevisionRestore)
	admin.POST("/preview", s.articlePreview)
	admin.GET("/media/", s.mediaList)
	admin.POST("/media", s.mediaCreate)
	admin.GET("/comments/", s.commentsList)
	admin.POST("/comments/:id/status", s.commentModerate)
	admin.POST("/comments/:id/reply", s.commentReply)
	admin.POST("/comments/:id/edit", s.commentEditReply)
	admin.GET("/messages/", s.messagesList)
	admin.POST("/messages/:id/reply", s.messageReply)
	admin.GET("/followers/", s.followersList)
	admin.POST("/followers/:id/status", s.followerModerate)
	admin.GET("/blocks/", s.blocksList)
	admin.POST("/blocks", s.blockCreate)
	admin.POST("/blocks/:id/delete", s.blockDelete)
	admin.GET("/settings/", s.settingsShow)
	admin.POST("/settings", s.settingsUpdate)
	admin.GET("/profile/", s.profileEdit)
	admin.POST("/profile", s.profileUpdate)

	// Accounts and their roles (the owner's; see policy.go).
	admin.GET("/accounts/", s.accountsList)
	admin.POST("/accounts/:id/role", s.accountRoleUpdate)

	// ActivityPub, discovery and interaction endpoints.
	e.GET("/.well-known/webfinger", s.webfingerShow)
	e.GET("/.well-known/host-meta", s.hostMetaShow)
	e.GET("/.well-known/host-meta.json", s.hostMetaJSONShow)
	e.GET("/.well-known/nodeinfo", s.nodeinfoIndexShow)
	e.GET("/nodeinfo/:version", s.nodeinfoShow)
	e.GET("/actor", s.instanceActorShow)
	e.POST("/actor/inbox", s.inboxCreate)
	e.POST("/inbox", s.inboxCreate)
	e.GET("/users/:username", s.actorShow, cached)
	e.POST("/users/:username/inbox", s.inboxCreate)
	e.GET("/users/:username/outbox", s.outboxShow)
	e.GET("/users/:username/followers", s.followersShow)
	e.GET("/users/:username/following", s.followingShow)
	e.GET("/users/:username/featured", s.featuredShow)
	e.GET("/articles/:id", s.articleObjectShow, cached)
	e.GET("/articles/:id/:collection", s.articleCollectionShow) // replies, likes, shares, context
	e.GET("/comments/:id", s.commentObjectShow, cached)
	e.GET("/comments/:id/replies", s.commentRepliesShow)
	e.GET("/quote_authorizations/:id", s.quoteAuthorizationShow)
	e.GET("/activities/:kind/:id/:version", s.activityShow)
	e.GET("/authorize_interaction", s.authorizeInteraction)
	e.POST("/interact", s.interactCreate, s.interactLimit) // "Reply from your own instance"
	e.POST("/xmlrpc", s.pingbackCreate, s.pingbackLimit)
	e.POST("/webmention", s.webmentionCreate, s.webmentionLimit)

	// Static pages live at /slug/ (served by the /:year/ route); the owner
	// edits the header menu. Keep page slugs off every route registered.
	admin.GET("/menu/", s.menuEdit)
	admin.POST("/menu", s.menuUpdate)
	s.routeWords = routeSegments(e.Routes())
}
