#include "sequence/distortion_criterion.hpp"

#include <cstdio>

namespace ampbench::sequence {

std::string DistortionCriterion::in_words() const {
  char text[48];
  std::snprintf(text, sizeof text, "%s %g %%", name(), pct);
  return text;
}

DistortionCriterion parse_distortion_criterion(const TomlReader& r, const toml::table& c,
                                               const std::string& q) {
  r.reject_unknown_keys(c, q, {"thdn_pct", "thd_pct"});
  const auto thdn = r.number(c, "thdn_pct", q), thd = r.number(c, "thd_pct", q);
  if (thdn.has_value() == thd.has_value()) r.fail(&c, q, "give exactly one of thdn_pct or thd_pct");
  const DistortionCriterion criterion{thd.has_value(), thd ? *thd : *thdn};
  if (!(criterion.pct > 0.0 && criterion.pct <= 30.0))
    r.fail(&c, q, "the criterion must be above 0 and at most 30 %");
  return criterion;
}

}  // namespace ampbench::sequence
