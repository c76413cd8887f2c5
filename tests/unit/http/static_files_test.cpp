#include "http/static_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "http_codec/parser.h"

namespace herald::http {
namespace {

TEST(StaticPath, MapsToRelativePaths) {
  EXPECT_EQ(*resolve_static_path("/"), "index.html");
  EXPECT_EQ(*resolve_static_path("/admin/"), "admin/index.html");
  EXPECT_EQ(*resolve_static_path("/js/herald.mjs"), "js/herald.mjs");
  EXPECT_EQ(*resolve_static_path("/a%20b.txt"), "a b.txt");
  EXPECT_EQ(*resolve_static_path("/c++.txt"), "c++.txt");
  EXPECT_EQ(*resolve_static_path("/file..name.txt"), "file..name.txt");
}

TEST(StaticPath, RejectsTraversalAndTricks) {
  for (std::string_view bad : {
           "/../etc/passwd",
           "/..",
           "/a/../../etc/passwd",
           "/%2e%2e/etc/passwd",
           "/%2E%2E%2Fetc%2Fpasswd",
           "/a/%2f..",
           "/a/%2F../b",
           "/.%2e/x",
           "/./index.html",
           "/.git/config",
           "/.env",
           "//etc/passwd",
           "/a//b",
           "/a\\..\\b",
           "/a%5c..%5cb",
           "/index.html%00.png",
           "/a%0a",
           "etc/passwd",
           "",
           "/%zz",
           "/%",
       }) {
    auto r = resolve_static_path(bad);
    EXPECT_FALSE(r.ok()) << bad << " -> " << (r.ok() ? *r : "");
    if (!r.ok()) {
      EXPECT_EQ(r.error(), base::Errc::bad_request) << bad;
    }
  }
}

TEST(StaticPath, ContentTypes) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("js/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("herald.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("s.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("a.json"), "application/json");
  EXPECT_EQ(content_type_for("chart.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("logo.png"), "image/png");
  EXPECT_EQ(content_type_for("favicon.ico"), "image/x-icon");
  EXPECT_EQ(content_type_for("notes.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("m.wasm"), "application/wasm");
  EXPECT_EQ(content_type_for("archive.tar.gz"), "application/octet-stream");
  EXPECT_EQ(content_type_for("dir.d/README"), "application/octet-stream");
}

TEST(EntityTag, StrongQuotedBase64urlOfSha256) {
  // SHA-256("") = e3b0c442 98fc1c14 9afbf4c8 996fb924 ...; its first 16 bytes in base64url.
  EXPECT_EQ(entity_tag(""), "\"47DEQpj8HBSa-_TImW-5JA\"");
  // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 ...
  EXPECT_EQ(entity_tag("abc"), "\"ungWv48Bz-pBQUDeXa4iIw\"");
  std::string tag = entity_tag("export {};");
  EXPECT_EQ(tag.size(), 24u);
  EXPECT_EQ(tag, entity_tag("export {};"));  // depends on the bytes only
  EXPECT_NE(tag, entity_tag("export {} ;"));
  EXPECT_EQ(
      tag.find_first_not_of("\"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
}

TEST(EntityTag, IfNoneMatchUsesWeakComparisonOverTheList) {
  const std::string tag = "\"abc\"";
  EXPECT_TRUE(if_none_match_matches("\"abc\"", tag));
  EXPECT_TRUE(if_none_match_matches("W/\"abc\"", tag));
  EXPECT_TRUE(if_none_match_matches("\"x\", \"abc\"", tag));
  EXPECT_TRUE(if_none_match_matches("\"x\",W/\"abc\" ,\"y\"", tag));
  EXPECT_TRUE(if_none_match_matches("*", tag));
  EXPECT_TRUE(if_none_match_matches(" , \"abc\"", tag));
  EXPECT_FALSE(if_none_match_matches("", tag));
  EXPECT_FALSE(if_none_match_matches("\"abcd\"", tag));
  EXPECT_FALSE(if_none_match_matches("\"ab\"", tag));
  EXPECT_FALSE(if_none_match_matches("abc", tag));              // not quoted: malformed
  EXPECT_FALSE(if_none_match_matches("\"abc", tag));            // unterminated
  EXPECT_FALSE(if_none_match_matches("\"a,bc\", \"x\"", tag));  // a comma inside a tag
  EXPECT_FALSE(if_none_match_matches("\"x\" junk \"abc\"", tag));
  EXPECT_TRUE(if_none_match_matches("\"x,\" , \"abc\"", tag));
}

TEST(EntityTag, NotModifiedLooksAtEveryIfNoneMatchHeader) {
  Request req;
  const std::string tag = entity_tag("body");
  EXPECT_FALSE(not_modified(req, tag));
  req.headers.push_back({"Accept", "*/*"});
  req.headers.push_back({"if-none-match", "\"other\""});
  EXPECT_FALSE(not_modified(req, tag));
  req.headers.push_back({"If-None-Match", tag});
  EXPECT_TRUE(not_modified(req, tag));
}

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/herald_static_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    std::filesystem::create_directories(root_ / "www" / "js");
    std::ofstream(root_ / "www" / "index.html") << "<h1>hi</h1>";
    std::ofstream(root_ / "www" / "js" / "app.js") << "export {};";
    std::ofstream(root_ / "secret.txt") << "top secret";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string www() const { return (root_ / "www").string(); }
  std::filesystem::path root_;
};

TEST_F(StaticFiles, LoadsFilesUnderRoot) {
  auto f = load_static_file(www(), "/", 1024);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->content, "<h1>hi</h1>");
  EXPECT_EQ(f->content_type, "text/html; charset=utf-8");
  f = load_static_file(www() + "/", "/js/app.js", 1024);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->content, "export {};");
  EXPECT_EQ(f->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(f->etag, entity_tag("export {};"));
}

TEST_F(StaticFiles, MissingTraversalDirectoryAndTooLarge) {
  EXPECT_EQ(load_static_file(www(), "/nope.html", 1024).error(), base::Errc::not_found);
  EXPECT_EQ(load_static_file(www(), "/../secret.txt", 1024).error(), base::Errc::bad_request);
  EXPECT_EQ(load_static_file(www(), "/%2e%2e/secret.txt", 1024).error(), base::Errc::bad_request);
  EXPECT_EQ(load_static_file(www(), "/js", 1024).error(), base::Errc::not_found);  // a directory
  EXPECT_EQ(load_static_file(www(), "/index.html", 5).error(), base::Errc::limit_exceeded);
}

}  // namespace
}  // namespace herald::http
