#include "web/assets.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace web {
namespace {

TEST(WebAssets, EveryFileIsEmbeddedWithAKnownTypeAndAnEtag) {
  ASSERT_FALSE(all_assets().empty());
  for (const auto& file : all_assets()) {
    SCOPED_TRACE(std::string{file.name});
    EXPECT_FALSE(file.body.empty());
    EXPECT_NE(file.content_type, "application/octet-stream");
    // A quoted strong ETag of 16 hex digits.
    EXPECT_TRUE(std::regex_match(std::string{file.etag}, std::regex{"\"[0-9a-f]{16}\""}));
    EXPECT_EQ(find_asset(file.name), &file);
  }
}

TEST(WebAssets, TheEntryPageAndItsModulesArePresentWithTheirTypes) {
  const asset* index = find_asset("index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("<!doctype html>"), std::string_view::npos);
  const asset* app = find_asset("app.js");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->content_type, "text/javascript; charset=utf-8");
  const asset* style = find_asset("style.css");
  ASSERT_NE(style, nullptr);
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
}

// The Content-Security-Policy allows scripts and styles from files only: an inline script,
// an inline event handler or a style attribute in the HTML would be blocked in the browser.
TEST(WebAssets, TheHtmlHasNoInlineScriptHandlerOrStyle) {
  for (const auto& file : all_assets()) {
    if (file.content_type.rfind("text/html", 0) != 0) continue;
    SCOPED_TRACE(std::string{file.name});
    const std::string html{file.body};
    EXPECT_FALSE(std::regex_search(html, std::regex{"<script(?![^>]*\\bsrc=)[^>]*>"}));
    EXPECT_FALSE(std::regex_search(html, std::regex{"\\son[a-z]+\\s*=", std::regex::icase}));
    EXPECT_FALSE(std::regex_search(html, std::regex{"\\sstyle\\s*=", std::regex::icase}));
    EXPECT_EQ(html.find("<style"), std::string::npos);
  }
}

// The chart library comes from web/node_modules (web/package-lock.json) with its licence.
TEST(WebAssets, TheChartLibraryIsEmbeddedBelowVendorWithItsLicence) {
  const asset* library = find_asset("vendor/uPlot.esm.js");
  ASSERT_NE(library, nullptr);
  EXPECT_EQ(library->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(library->body.find("export { uPlot as default }"), std::string_view::npos);
  const asset* style = find_asset("vendor/uPlot.min.css");
  ASSERT_NE(style, nullptr);
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
  const asset* licence = find_asset("vendor/uPlot.LICENSE.txt");
  ASSERT_NE(licence, nullptr);
  EXPECT_NE(licence->body.find("MIT License"), std::string_view::npos);
  EXPECT_EQ(find_asset("uPlot.esm.js"), nullptr);
  EXPECT_EQ(find_asset("node_modules/uplot/dist/uPlot.esm.js"), nullptr);
}

TEST(WebAssets, OnlyExactNamesMatch) {
  EXPECT_EQ(find_asset(""), nullptr);
  EXPECT_EQ(find_asset("/index.html"), nullptr);
  EXPECT_EQ(find_asset("../index.html"), nullptr);
  EXPECT_EQ(find_asset("INDEX.HTML"), nullptr);
  EXPECT_EQ(find_asset("index.html/"), nullptr);
  EXPECT_EQ(find_asset("nope.js"), nullptr);
}

TEST(WebAssets, ContentTypesFollowTheExtension) {
  EXPECT_EQ(content_type_for("a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("a.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("vendor/a.LICENSE.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("a.exe"), "application/octet-stream");
  EXPECT_EQ(content_type_for("js"), "application/octet-stream");
}

}  // namespace
}  // namespace web
