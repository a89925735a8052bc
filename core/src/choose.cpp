// Option checks, the choice a call's backend is made by, and that choice
// explained.
#include "choose.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <switchyard/error.hpp>

#include "dispatch/cost_model.hpp"
#include "dispatch/dispatcher.hpp"

namespace switchyard::detail {
namespace {

using dispatch::model_state;

std::string name_of(backend b) { return std::string(to_string(b)); }

dispatch::query query_of(const engine_state& e, const call& c) {
  return {dispatch::key_of(c), c.where, c.n, e.threads_for(c.opts)};
}

/// The candidates whose bits equal the reference tree's for kernel k.
std::vector<backend> same_bits(const model_state& m, dispatch::kernel_key k) {
  std::vector<backend> kept;
  for (const backend b : m.candidates) {
    if (dispatch::same_bits_as_reference(b, k)) kept.push_back(b);
  }
  return kept;
}

/// Whether deterministic = true leaves some candidate out of this call.
bool determinism_restricts(const model_state& m, const call& c, dispatch::kernel_key k) {
  return c.opts.deterministic && same_bits(m, k).size() < m.candidates.size();
}

choice by_model(const engine_state& e, const call& c) {
  const model_state& m = e.dispatch().model();
  const dispatch::query q = query_of(e, c);
  if (determinism_restricts(m, c, q.key)) [[unlikely]] {
    const backend kept = dispatch::cheapest(m.p, same_bits(m, q.key), q);
    const backend any = dispatch::cheapest(m.p, m.candidates, q);
    return {kept, kept == any ? decided_by::model : decided_by::determinism};
  }
  if (q.workers == m.table.workers()) [[likely]] return {m.table.pick(q.key, c.where, c.n), decided_by::model};
  return {dispatch::cheapest(m.p, m.candidates, q), decided_by::model};
}

backend by_callable_model(const engine_state& e, const call& c) {
  const model_state& m = e.dispatch().model();
  const unsigned w = e.threads_for(c.opts);
  const double serial = dispatch::predict_callable(m.p, backend::serial, c.n, w).total();
  const double threads = dispatch::predict_callable(m.p, backend::threads, c.n, w).total();
  return threads * dispatch::near_tie < serial ? backend::threads : backend::serial;
}

std::string duration(double ns) {
  char text[32];
  if (ns < 1e3) std::snprintf(text, sizeof text, "%.0f ns", ns);
  else if (ns < 1e6) std::snprintf(text, sizeof text, "%.3g us", ns / 1e3);
  else if (ns < 1e9) std::snprintf(text, sizeof text, "%.3g ms", ns / 1e6);
  else std::snprintf(text, sizeof text, "%.3g s", ns / 1e9);
  return text;
}

std::string ratio(double r) {
  char text[16];
  std::snprintf(text, sizeof text, "%.2fx", r);
  return text;
}

}  // namespace

[[noreturn, gnu::cold, gnu::noinline]] void refuse_enums(const engine_state& e, const call& c) {
  if (c.opts.accuracy > accuracy::compensated) {
    throw error(errc::invalid_argument,
                "options.accuracy holds " + std::to_string(static_cast<int>(c.opts.accuracy)) +
                    ", which is not a switchyard::accuracy; use fast, pairwise or compensated");
  }
  if (c.opts.backend != backend::automatic && !e.knows(c.opts.backend)) {
    throw error(errc::invalid_argument, "backend invalid cannot run here: backend value " +
                                            std::to_string(static_cast<int>(c.opts.backend)) +
                                            " is not a switchyard::backend; use one of the enum's names");
  }
  throw error(errc::invalid_argument, "the call's data location holds " + std::to_string(static_cast<int>(c.where)) +
                                          ", which is not a place switchyard knows");
}

[[noreturn, gnu::cold, gnu::noinline]] void refuse_unavailable(backend b, const backend_status& s) {
  throw error(errc::backend_unavailable, "backend " + name_of(b) + " cannot run here: " + s.reason);
}

choice choose_checked(const engine_state& e, const call& c, bool callables) {
  const backend forced = c.opts.backend;
  if (c.where == memory::device) {
    if (forced != backend::automatic && !e.backend_for(forced).reads(memory::device)) {
      throw error(errc::unsupported_operation,
                  "backend " + name_of(forced) +
                      " reads host memory, and this input is a device_array in GPU memory; "
                      "use backend::cuda or backend::automatic, or download() the array first");
    }
    require_available(e, backend::cuda);
    return {backend::cuda, forced == backend::automatic ? decided_by::data : decided_by::caller};
  }

  if (callables) {
    if (forced != backend::automatic) {
      if (!e.backend_for(forced).runs_callables()) {
        std::string hint = "use backend::serial, backend::threads or backend::automatic";
        if (c.op == op::count_if) {
          hint += ", or give the comparison's value the element type (gt(0.5f) over floats) so that it runs as a "
                  "built-in comparison on every backend";
        }
        throw error(errc::unsupported_operation,
                    "backend " + name_of(forced) +
                        " runs only the built-in operations, not caller-supplied callables; " + hint);
      }
      return {forced, decided_by::caller};
    }
    if (const auto env = e.forced_by_environment(); env && e.backend_for(*env).runs_callables()) {
      return {*env, decided_by::environment};
    }
    return {by_callable_model(e, c), decided_by::callables};
  }

  // A forced backend's host-memory choice was made inline (choose.hpp).
  if (const auto env = e.forced_by_environment()) return {*env, decided_by::environment};
  return by_model(e, c);
}

decision explain_choice(const engine_state& e, const call& c, choice ch, bool callables) {
  decision d{ch.where, ch.by, {}, {}, 1, false, false, {}, {}};
  const model_state& m = e.dispatch().model();
  d.from_defaults = m.p.defaults;
  d.profile = m.source;
  const dispatch::query q = query_of(e, c);
  const double bytes = callables ? static_cast<double>(c.n) * static_cast<double>(c.element_bytes)
                                 : dispatch::bytes_read(q.key.op, q.key.type, c.n);
  const double smallest = dispatch::bytes_read(q.key.op, q.key.type, dispatch::calibration_tiny_elements);
  d.in_calibrated_range = !m.p.defaults && bytes >= 0.9 * smallest && bytes <= 1.1 * m.p.points.bytes.back();

  const bool restricted = !callables && determinism_restricts(m, c, q.key);
  // Filled in place: moving a braced temporary into the vector draws GCC
  // 12's false -Warray-bounds on the string's memcpy.
  const auto leave_out = [&d](backend b, std::string why) {
    excluded_backend& x = d.left_out.emplace_back();
    x.backend = b;
    x.reason = std::move(why);
  };
  for (const backend_entry& entry : registry()) {
    const backend b = entry.id;
    if (const backend_status& s = e.status(b); !s.available) {
      leave_out(b, s.reason);
    } else if (callables && !e.backend_for(b).runs_callables()) {
      leave_out(b, "runs only the built-in operations, not the caller's code");
    } else if (!e.backend_for(b).reads(c.where)) {
      leave_out(b, "does not read GPU memory");
    } else if (restricted && !dispatch::same_bits_as_reference(b, q.key)) {
      leave_out(b, "its bits for this op differ from the CPU backends', and deterministic = true");
    } else if (callables) {
      const auto p = dispatch::predict_callable(m.p, b, c.n, q.workers);
      d.candidates.push_back({b, p.fixed_ns, p.bytes_ns, p.transfer_ns});
    } else if (const auto p = dispatch::predict(m.p, b, q)) {
      d.candidates.push_back({b, p->fixed_ns, p->bytes_ns, p->transfer_ns});
    } else {
      leave_out(b, "the profile holds no measurement of it");
    }
  }
  std::sort(d.candidates.begin(), d.candidates.end(),
            [](const predicted_cost& a, const predicted_cost& b) { return a.total_ns() < b.total_ns(); });
  const auto chosen = std::find_if(d.candidates.begin(), d.candidates.end(),
                                   [&](const predicted_cost& p) { return p.backend == ch.where; });
  const predicted_cost* runner_up = nullptr;
  for (const predicted_cost& p : d.candidates) {
    if (p.backend != ch.where) {
      runner_up = &p;
      break;
    }
  }
  if (chosen != d.candidates.end() && runner_up != nullptr && chosen->total_ns() > 0) {
    d.margin = runner_up->total_ns() / chosen->total_ns();
  }
  d.reason = describe_choice(e, c, ch);
  if ((ch.by == decided_by::model || ch.by == decided_by::determinism || ch.by == decided_by::callables) &&
      chosen != d.candidates.end()) {
    d.reason += ": predicted " + duration(chosen->total_ns());
    if (runner_up != nullptr) {
      d.reason += d.margin >= dispatch::near_tie
                      ? ", " + ratio(d.margin) + " ahead of " + name_of(runner_up->backend)
                      : ", within 5% of " + name_of(runner_up->backend) + " (" + ratio(d.margin) +
                            "), a near-tie that goes to the simpler backend";
    }
  }
  return d;
}

std::string describe_choice(const engine_state& e, const call& c, choice ch) {
  switch (ch.by) {
    case decided_by::caller: return "options.backend forces " + name_of(ch.where);
    case decided_by::environment: return "SWITCHYARD_BACKEND=" + name_of(ch.where) + " forces it";
    case decided_by::data: return "the data is in GPU memory (a device_array), which only cuda reads";
    case decided_by::callables:
      return "the call runs the caller's code, which serial and threads run; at " +
             std::to_string(e.dispatch().model().p.callable_ns_per_element).substr(0, 5) +
             " ns an element (calibration's x -> x*x), " + std::to_string(c.n) + " elements go to " + name_of(ch.where);
    case decided_by::determinism:
      return "deterministic = true leaves out backends whose bits differ for this op; the model's cheapest of the "
             "rest is " + name_of(ch.where);
    case decided_by::model: return "the cost model's cheapest for " + std::to_string(c.n) + " elements is " + name_of(ch.where);
  }
  return {};
}

}  // namespace switchyard::detail
