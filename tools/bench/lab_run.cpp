#include "lab_run.h"

#include "runner.h"
#include "tools/netlab/netns.h"

namespace herald::bench {

std::unique_ptr<LabRun> LabRun::start(uint64_t seed, ServerSpec spec, std::string* why) {
  std::unique_ptr<LabRun> run(new LabRun());
  std::string reason;
  auto lab = netlab::Lab::create(seed, &reason);
  if (!lab) {
    *why = lab_unavailable_message(reason);
    return nullptr;
  }
  run->lab_ = std::move(*lab);
  spec.netns = run->lab_->server_ns();
  spec.ip = netlab::kServerIp;
  run->server_ = spawn_server(spec);
  if (run->server_.pid <= 0) {
    *why = "could not start " + spec.binary + " serve in the lab's server namespace";
    return nullptr;
  }
  run->calibration_ = run->lab_->calibrate();
  return run;
}

LabRun::~LabRun() {
  stop_server(server_.pid);
  lab_.reset();
}

RunReport LabRun::run(BenchOptions o, const std::string& name, const netlab::Condition& c,
                      bool* unreachable) {
  o.url = server_.url;
  o.server_pid = server_.pid;
  o.netem = c.to_string();
  lab_->relay().set_condition(c);
  RunEnv env;
  env.publisher_netns = lab_->server_ns();
  env.publisher_addr =
      *net::Address::parse(std::string(netlab::kServerIp) + ":" + std::to_string(server_.port));
  env.window_begin = [this] {
    lab_->relay().take();
    server_tcp0_ = netlab::read_tcp_counters(lab_->server_ns());
    client_tcp0_ = netlab::read_tcp_counters(lab_->client_ns());
  };
  env.window_end = [this](TransportResult& r) {
    r.link.present = true;
    r.link.relay = lab_->relay().take();
    r.link.server_tcp = netlab::read_tcp_counters(lab_->server_ns()) - server_tcp0_;
    r.link.client_tcp = netlab::read_tcp_counters(lab_->client_ns()) - client_tcp0_;
  };
  RunReport rep;
  {
    // The main thread steps into the client namespace: the client loops it starts are born
    // there, so every subscriber connection crosses the relay.
    netlab::InNetns in(lab_->client_ns());
    if (!in.ok()) {
      *unreachable = true;
      rep.options = o;
      return rep;
    }
    rep = run_all(o, unreachable, &env);
  }
  rep.lab.present = true;
  rep.lab.name = name;
  rep.lab.condition = c;
  rep.lab.seed = lab_->seed();
  rep.lab.server_ip = netlab::kServerIp;
  rep.lab.calibration = calibration_;
  rep.lab.relay_realtime = lab_->relay().realtime();
  return rep;
}

std::string lab_unavailable_message(const std::string& why) {
  return "the network lab cannot be built here: " + why +
         ".\nIt needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN) and /dev/net/tun: run as root, "
         "or in a container started with --cap-add NET_ADMIN --cap-add SYS_ADMIN --device "
         "/dev/net/tun; where /dev/net/tun is open to every user, `unshare --user "
         "--map-root-user --net herald bench ...` gives an unprivileged user those rights in a "
         "namespace of its own. Without the lab, leave out --netem/--preset (loopback, no "
         "impairment). See docs/netlab.md.";
}

}  // namespace herald::bench
