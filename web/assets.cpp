#include "web/assets.hpp"

#include <array>
#include <utility>

namespace web {
namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::vector<asset> make_assets() {
  std::vector<asset> out;
  out.reserve(generated::file_count);
  for (size_t i = 0; i < generated::file_count; ++i) {
    const auto& file = generated::files[i];
    const std::string_view body{reinterpret_cast<const char*>(file.bytes), file.size};
    out.push_back(asset{file.name, content_type_for(file.name), body, file.etag});
  }
  return out;
}

}  // namespace

std::string_view content_type_for(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> types{{
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},  // the third-party licences below vendor/
  }};
  for (const auto& [extension, type] : types) {
    if (ends_with(name, extension)) return type;
  }
  return "application/octet-stream";
}

const std::vector<asset>& all_assets() {
  static const std::vector<asset> assets = make_assets();
  return assets;
}

const asset* find_asset(std::string_view name) {
  for (const auto& candidate : all_assets()) {
    if (candidate.name == name) return &candidate;
  }
  return nullptr;
}

}  // namespace web
