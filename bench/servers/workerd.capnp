# The peer "workerd": one worker behind one HTTP socket. bench/servers/workerd.ts starts it with
# --socket-addr http=127.0.0.1:<free port>, so the address below is only a default.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "hello", worker = .hello)],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "hello")],
);

const hello :Workerd.Worker = (
  modules = [(name = "hello.js", esModule = embed "workerd-hello.js")],
  compatibilityDate = "2025-01-01",
);
