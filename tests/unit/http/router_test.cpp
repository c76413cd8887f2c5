#include "http/router.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::http {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    publish_ = router_.add(Method::post, "/api/publish");
    history_ = router_.add(Method::get, "/api/history");
    sse_ = router_.add(Method::get, "/sse");
    health_ = router_.add_any("/health");
    api_get_ = router_.add(Method::get, "/api/*");
    admin_ = router_.add(Method::get, "/admin/*");
    admin_post_ = router_.add(Method::post, "/admin/*");
  }
  Router router_;
  Router::RouteId publish_, history_, sse_, health_, api_get_, admin_, admin_post_;
};

TEST_F(RouterTest, ExactMatch) {
  Router::Match m = router_.match(Method::post, "/api/publish");
  EXPECT_EQ(m.status, Router::MatchStatus::found);
  EXPECT_EQ(m.route, publish_);
  EXPECT_EQ(m.http_status(), 200);
  EXPECT_EQ(router_.match(Method::get, "/sse").route, sse_);
  EXPECT_EQ(router_.match(Method::get, "/api/history").route, history_);
}

TEST_F(RouterTest, AnyMethodRoute) {
  EXPECT_EQ(router_.match(Method::del, "/health").route, health_);
  EXPECT_EQ(router_.match(Method::other, "/health").route, health_);
}

TEST_F(RouterTest, UnknownPathIs404) {
  Router::Match m = router_.match(Method::get, "/nope");
  EXPECT_EQ(m.status, Router::MatchStatus::not_found);
  EXPECT_EQ(m.http_status(), 404);
  EXPECT_EQ(router_.match(Method::get, "/sse/x").status, Router::MatchStatus::not_found);
  EXPECT_EQ(router_.match(Method::get, "/ss").status, Router::MatchStatus::not_found);
  // "/admin/*" covers "/admin/" and below, not "/admin" itself.
  EXPECT_EQ(router_.match(Method::get, "/admin").status, Router::MatchStatus::not_found);
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Router::Match m = router_.match(Method::put, "/sse");
  EXPECT_EQ(m.status, Router::MatchStatus::method_not_allowed);
  EXPECT_EQ(m.http_status(), 405);
  EXPECT_EQ(m.allow, "GET, HEAD");
  // Every route that matches the path contributes: the exact POST and the GET prefix.
  m = router_.match(Method::del, "/api/publish");
  EXPECT_EQ(m.status, Router::MatchStatus::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
}

TEST_F(RouterTest, HeadMatchesGet) {
  EXPECT_EQ(router_.match(Method::head, "/sse").route, sse_);
}

TEST_F(RouterTest, MoreSpecificFirstThenFallsBackOnMethod) {
  // GET /api/publish: the exact route is POST only, so the GET prefix route answers.
  EXPECT_EQ(router_.match(Method::get, "/api/publish").route, api_get_);
  EXPECT_EQ(router_.match(Method::get, "/api/channels").route, api_get_);
  EXPECT_EQ(router_.match(Method::get, "/admin/").route, admin_);
  EXPECT_EQ(router_.match(Method::post, "/admin/kick").route, admin_post_);
}

TEST(Router, LongestPrefixWinsRegardlessOfOrder) {
  Router r;
  Router::RouteId all = r.add(Method::get, "/*");
  Router::RouteId deep = r.add(Method::get, "/a/b/*");
  Router::RouteId mid = r.add(Method::get, "/a/*");
  EXPECT_EQ(r.match(Method::get, "/a/b/c").route, deep);
  EXPECT_EQ(r.match(Method::get, "/a/x").route, mid);
  EXPECT_EQ(r.match(Method::get, "/index.html").route, all);
}

TEST(Router, DispatchCallsHandlerWithContext) {
  Router r;
  struct Ctx {
    std::string seen;
  } ctx;
  r.add(Method::get, "/poll",
        [](const Request& req, void* c) { static_cast<Ctx*>(c)->seen = std::string(req.query); });
  r.add(Method::get, "/bare");  // no handler: the caller dispatches on the id
  Request req;
  req.method = Method::get;
  req.path = "/poll";
  req.query = "channel=a";
  EXPECT_EQ(r.dispatch(req, &ctx).status, Router::MatchStatus::found);
  EXPECT_EQ(ctx.seen, "channel=a");
  req.path = "/bare";
  EXPECT_EQ(r.dispatch(req, &ctx).route, 1);
  req.path = "/missing";
  ctx.seen.clear();
  EXPECT_EQ(r.dispatch(req, &ctx).status, Router::MatchStatus::not_found);
  EXPECT_EQ(ctx.seen, "");
}

}  // namespace
}  // namespace herald::http
