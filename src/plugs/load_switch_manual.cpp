#include <cmath>
#include <cstdio>
#include <optional>

#include "plugs/load_switch.hpp"

namespace ampbench::plugs {
namespace {

class ManualLoadSwitch : public LoadSwitch {
 public:
  explicit ManualLoadSwitch(OperatorIo& io) : io_(io) {}
  void select(double load_ohm) override {
    if (current_ && *current_ == load_ohm) return;
    char text[96];
    if (std::isinf(load_ohm))
      std::snprintf(text, sizeof text, "Disconnect the load (open circuit), then press Enter");
    else
      std::snprintf(text, sizeof text, "Connect the %g ohm load, then press Enter", load_ohm);
    ask_hands(io_, text);
    current_ = load_ohm;
  }

 private:
  OperatorIo& io_;
  std::optional<double> current_;
};

}  // namespace

std::unique_ptr<LoadSwitch> manual_load_switch(OperatorIo& io) {
  return std::make_unique<ManualLoadSwitch>(io);
}

}  // namespace ampbench::plugs
