#pragma once
// web::assets: the customer billing console's static files (web/*.html, *.css, *.js),
// embedded into the binary at build time (embed.cmake), so ledgerd serves the console from
// any working directory with nothing to install. No CAF, no HTTP library: the HTTP API
// (server/http) looks files up here and answers them.

#include <cstddef>
#include <string_view>
#include <vector>

namespace web {

struct asset {
  std::string_view name;          // "app.js": the path below the console's prefix
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
  std::string_view etag;  // a quoted strong ETag: the first 16 hex digits of the SHA-256
};

// The file named `name` ("index.html", "app.js"), or nullptr. Only exact names of embedded
// files match: no directories, no "..", no normalisation.
const asset* find_asset(std::string_view name);

// Every embedded file, in the order of web/CMakeLists.txt.
const std::vector<asset>& all_assets();

// The Content-Type for a file name by its extension; "application/octet-stream" when the
// extension is not one the console uses.
std::string_view content_type_for(std::string_view name);

// Used by the generated source (web_assets_generated.cpp).
namespace generated {
struct embedded_file {
  const char* name;
  const unsigned char* bytes;
  size_t size;
  const char* etag;
};
extern const embedded_file files[];
extern const size_t file_count;
}  // namespace generated

}  // namespace web
