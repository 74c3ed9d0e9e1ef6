#include "ledger/notice.hpp"

namespace ledger {
namespace {

// By type - 1, in the enum's order (static_assert below).
constexpr std::array<std::string_view, notice_type_count> names = {
    "balance_low", "balance_depleted", "charge_captured", "charge_failed", "tier_advanced",
    "suspended",   "reactivated",      "velocity_capped", "card_unusable", "hold_expired",
};
static_assert(names.size() == static_cast<size_t>(notice_type::hold_expired));

}  // namespace

std::string_view to_string(notice_type type) {
  const auto index = static_cast<size_t>(type);
  return index >= 1 && index <= names.size() ? names[index - 1] : std::string_view{"unknown"};
}

bool notice_type_from_string(std::string_view name, notice_type& type) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) {
      type = static_cast<notice_type>(i + 1);
      return true;
    }
  }
  return false;
}

}  // namespace ledger
