"""edgewhisk's Python action proxy: OpenWhisk's action-runtime protocol on :8080, standard library only.

It answers like the official Python images (openwhisk-runtime-go "actionloop" with the Python
launcher): POST /init writes the action (plain code, or a base64 zip / tar.gz with __main__.py and
an optional virtualenv/) and starts launcher.py, which imports it and acknowledges on fd 3; each
POST /run hands the request line to the launcher on its stdin and answers with the JSON line it
writes on fd 3. After every run the proxy writes the sentinel line on stdout and on stderr, so the
log reader knows where the activation's logs end. Status codes and messages are the actionloop's.

Settings (environment): PORT (default 8080; 0 picks one and prints "listening on N" on stderr),
and OW_ACTION_DIR (default /action). __OW_* variables of the proxy's own environment reach the
action, as in the official images.
"""
import io
import json
import os
import socket
import sys
import threading

# base64, zipfile and tarfile are imported when an /init needs them: every import is paid on each
# cold start, before the proxy listens.

SENTINEL = b"XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n"
LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launcher.py")

# The actionloop proxy's answers, word for word.
CANNOT_REINIT = "Cannot initialize the action more than once."
NO_CODE = "Missing main/no code to execute."
NO_BINARY = "The action failed to generate or locate a binary. See logs for details."
CANNOT_START = "Cannot start action. Check logs for details."
EXITED_AT_INIT = "Command exited abruptly during initialization."
BAD_ACK = "The action did not initialize properly."
NO_ACTION = "no action defined yet"
COMMAND_EXITED = "command exited"
NOT_DICT = "The action did not return a dictionary or array."
# Logged (not answered: the answer stays the actionloop's "command exited") when the kernel killed the action for memory.
MEMORY_EXHAUSTED = "The action exhausted its memory and was aborted."
KILLED = "The action's process was killed (signal %d)."

# Where the container's memory cgroup counts OOM kills: cgroup v2, then v1.
OOM_COUNTERS = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")


def oom_kills():
    """OOM kills in this container's memory cgroup so far; None where it cannot be read."""
    for path in OOM_COUNTERS:
        try:
            with open(path) as f:
                for line in f:
                    name, _, value = line.partition(" ")
                    if name == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return None


def _reject_constant(name):
    raise ValueError("not JSON: " + name)


def is_dict_or_array(line):
    """True when `line` is strict JSON (no NaN/Infinity) holding an object or an array."""
    try:
        value = json.loads(line, parse_constant=_reject_constant)
    except ValueError:
        return False
    return isinstance(value, (dict, list))


def error_body(message):
    return (json.dumps({"error": message}) + "\n").encode("utf-8")


def env_value(value):
    """Init env values: strings as they are, anything else as JSON (as the Go proxy does)."""
    return value if isinstance(value, str) else json.dumps(value)


class Executor:
    """One launcher process: the action's requests on its stdin, its answers as lines on fd 3."""

    def __init__(self, directory, main, env, out_fd, err_fd):
        stdin_r, self._stdin = os.pipe()
        self._result, result_w = os.pipe()
        actions = [
            (os.POSIX_SPAWN_DUP2, stdin_r, 0),
            (os.POSIX_SPAWN_DUP2, out_fd, 1),
            (os.POSIX_SPAWN_DUP2, err_fd, 2),
            (os.POSIX_SPAWN_DUP2, result_w, 3),
        ]
        argv = [sys.executable, LAUNCHER, main, directory]
        try:
            self.pid = os.posix_spawn(sys.executable, argv, env, file_actions=actions)
        finally:
            # The child holds its own copies: EOF on the result pipe now means it exited.
            os.close(stdin_r)
            os.close(result_w)
        self._reader = io.open(self._result, "rb", buffering=65536)
        self.exited = False
        self.status = None
        self.oom_before = oom_kills()

    def read_line(self):
        line = self._reader.readline()
        if not line.endswith(b"\n"):
            self._reap()
            return None
        return line

    def interact(self, line):
        """Sends one request line; the answer line, or None when the process died."""
        try:
            self._write_all(line + b"\n")
        except OSError:
            self._reap()
            return None
        return self.read_line()

    def _write_all(self, data):
        view = memoryview(data)
        while view:
            view = view[os.write(self._stdin, view):]

    def _reap(self):
        if self.exited:
            return
        self.exited = True
        try:
            self.status = os.waitpid(self.pid, 0)[1]
        except ChildProcessError:
            pass

    def death_notice(self):
        """Why the process died, when a signal killed it: the memory limit, or the signal."""
        if self.status is None or not os.WIFSIGNALED(self.status):
            return None
        after = oom_kills()
        if after is not None and self.oom_before is not None and after > self.oom_before:
            return MEMORY_EXHAUSTED
        return KILLED % os.WTERMSIG(self.status)

    def stop(self):
        if not self.exited:
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
            self._reap()
        try:
            os.close(self._stdin)
        except OSError:
            pass
        self._reader.close()


class Proxy:
    """The protocol without HTTP: init(body) and run(body) return (status, body bytes)."""

    def __init__(self, base_dir, out_fd=1, err_fd=2, base_env=None):
        self.base_dir = base_dir
        self.out_fd = out_fd
        self.err_fd = err_fd
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.initialized = False
        self.executor = None
        self.lock = threading.Lock()
        self._attempt = 0

    # -- logs ---------------------------------------------------------------------------------
    def _sentinels(self):
        os.write(self.out_fd, SENTINEL)
        os.write(self.err_fd, SENTINEL)

    def _init_failure(self, status, detail, message):
        """OW_LOG_INIT_ERROR behaviour: the detail and the sentinels in the logs, a short answer."""
        os.write(self.err_fd, (detail.rstrip("\n") + "\n").encode("utf-8", "replace"))
        self._sentinels()
        return status, error_body(message)

    # -- /init --------------------------------------------------------------------------------
    def init(self, body):
        with self.lock:
            if self.initialized:
                return 403, error_body(CANNOT_REINIT)
            try:
                request = json.loads(body)
                value = request.get("value") or {}
                if not isinstance(value, dict):
                    raise ValueError("value is not an object")
            except (ValueError, AttributeError) as e:
                return 400, error_body("Error unmarshaling request: %s" % e)
            code = value.get("code") or ""
            if not isinstance(code, str) or code == "":
                return 403, error_body(NO_CODE)
            main = value.get("main") or "main"
            env = value.get("env") or {}
            if not isinstance(main, str) or not isinstance(env, dict):
                return 400, error_body("Error unmarshaling request: main must be a string, env an object")
            if value.get("binary"):
                import base64

                try:
                    payload = base64.b64decode("".join(code.split()), validate=True)
                except ValueError as e:
                    return 400, error_body("cannot decode the request: %s" % e)
            else:
                payload = code.encode("utf-8")
            self._attempt += 1
            directory = os.path.join(self.base_dir, str(self._attempt))
            try:
                extract(payload, directory)
            except Exception as e:  # a broken archive: the developer's problem, told in the logs
                return self._init_failure(502, "cannot extract the action: %s" % e, NO_BINARY)
            return self._start(directory, main, env)

    def _start(self, directory, main, init_env):
        env = {k: v for k, v in self.base_env.items() if k.startswith("__OW_")}
        for key in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONIOENCODING"):
            if key in self.base_env:
                env[key] = self.base_env[key]
        env.setdefault("PYTHONIOENCODING", "UTF-8")
        for key, value in init_env.items():
            env[str(key)] = env_value(value)
        env["__OW_WAIT_FOR_ACK"] = "1"
        try:
            executor = Executor(directory, main, env, self.out_fd, self.err_fd)
        except OSError as e:
            return self._init_failure(502, "cannot start the launcher: %s" % e, CANNOT_START)
        ack = executor.read_line()
        if ack is None:
            executor.stop()
            return self._init_failure(502, EXITED_AT_INIT, CANNOT_START)
        try:
            ok = json.loads(ack).get("ok") is True
        except (ValueError, AttributeError):
            ok = False
        if not ok:
            executor.stop()
            return self._init_failure(502, BAD_ACK, CANNOT_START)
        self.executor = executor
        self.initialized = True
        return 200, b'{"ok":true}\n'

    # -- /run ---------------------------------------------------------------------------------
    def run(self, body):
        with self.lock:
            executor = self.executor
            if executor is None:
                return 500, error_body(NO_ACTION)
            if executor.exited:
                return 500, error_body(COMMAND_EXITED)
            # The launcher reads one request per line: JSON needs no raw newlines.
            answer = executor.interact(body.replace(b"\n", b"").replace(b"\r", b""))
            if answer is None:
                notice = executor.death_notice()
                if notice:
                    os.write(self.err_fd, (notice + "\n").encode())
            self._sentinels()
            if answer is None:
                executor.stop()
                self.executor = None
                return 400, error_body(COMMAND_EXITED)
            if not is_dict_or_array(answer):
                return 502, error_body(NOT_DICT)
            return 200, answer

    def close(self):
        with self.lock:
            if self.executor is not None:
                self.executor.stop()
                self.executor = None


def extract(payload, directory):
    """A zip or tar.gz is unpacked into `directory`; anything else becomes its __main__.py."""
    os.makedirs(directory, exist_ok=True)
    if payload[:4] == b"PK\x03\x04":
        import zipfile

        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            archive.extractall(directory)  # ZipFile drops absolute paths and '..' parts
    elif payload[:3] == b"\x1f\x8b\x08":
        import tarfile

        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as archive:
            if hasattr(tarfile, "data_filter"):
                archive.extractall(directory, filter="data")
            else:  # Python < 3.11.4: refuse what the data filter would
                for member in archive.getmembers():
                    target = os.path.realpath(os.path.join(directory, member.name))
                    if not target.startswith(os.path.realpath(directory) + os.sep) or member.issym() or member.islnk():
                        raise ValueError("unsafe archive member %r" % member.name)
                archive.extractall(directory)
    else:
        with open(os.path.join(directory, "__main__.py"), "wb") as f:
            f.write(payload)
    # The official compile step renames an archive's `exec` file to the entry module.
    exec_file = os.path.join(directory, "exec")
    main_file = os.path.join(directory, "__main__.py")
    if os.path.isfile(exec_file) and not os.path.exists(main_file):
        os.rename(exec_file, main_file)


REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 411: "Length Required", 500: "Internal Server Error", 502: "Bad Gateway"}
MAX_HEADER_BYTES = 65536


class BadRequest(Exception):
    pass


def read_request(reader, send=None):
    """One HTTP/1.x request from a buffered socket reader: (method, path, headers, body, keep-alive), or None at EOF."""
    line = reader.readline(MAX_HEADER_BYTES)
    while line in (b"\r\n", b"\n"):  # tolerated between requests
        line = reader.readline(MAX_HEADER_BYTES)
    if not line:
        return None
    parts = line.split()
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        raise BadRequest("bad request line")
    headers = {}
    size = len(line)
    while True:
        line = reader.readline(MAX_HEADER_BYTES)
        size += len(line)
        if not line or size > MAX_HEADER_BYTES:
            raise BadRequest("headers too long or cut off")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    if headers.get("expect", "").lower() == "100-continue" and send is not None:
        send(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for this before sending a large body
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = read_chunked(reader)
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise BadRequest("bad content-length")
        body = reader.read(length) if length > 0 else b""
        if len(body) != length:
            return None
    keep_alive = parts[2] == b"HTTP/1.1" and headers.get("connection", "").lower() != "close"
    return parts[0].decode("latin-1"), parts[1].decode("latin-1"), headers, body, keep_alive


def read_chunked(reader):
    chunks = []
    while True:
        size = int(reader.readline(1024).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while reader.readline(MAX_HEADER_BYTES) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        chunks.append(reader.read(size))
        reader.readline(1024)


def response(status, body, keep_alive=True):
    head = "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n" % (
        status, REASONS.get(status, "Unknown"), len(body), "" if keep_alive else "Connection: close\r\n")
    return head.encode("ascii") + body


class Server:
    """A small threaded HTTP/1.1 server: keep-alive connections, one thread each, TCP_NODELAY.

    http.server would do, but its imports (email, http.client, ssl...) cost tens of milliseconds of
    every cold start; the protocol needs POST with a body and a JSON answer, nothing more.
    """

    def __init__(self, address, proxy):
        self.proxy = proxy
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(address)
        self.socket.listen(128)
        self.server_address = self.socket.getsockname()
        self.connections = set()
        self._running = True

    def serve_forever(self):
        while self._running:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                if not self._running:
                    return
                raise
            # Without TCP_NODELAY a small answer can wait ~40 ms for the peer's delayed ACK.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        reader = conn.makefile("rb", buffering=65536)
        try:
            while True:
                try:
                    request = read_request(reader, conn.sendall)
                except (BadRequest, ValueError) as e:
                    conn.sendall(response(400, error_body(str(e)), keep_alive=False))
                    return
                if request is None:
                    return
                method, path, headers, body, keep_alive = request
                if method == "POST" and path == "/init":
                    status, answer = self.proxy.init(body)
                elif method == "POST" and path == "/run":
                    status, answer = self.proxy.run(body)
                else:
                    status, answer = 404, error_body("not found")
                # One write: headers and body leave in a single segment.
                conn.sendall(response(status, answer, keep_alive))
                if not keep_alive:
                    return
        except OSError:
            pass
        finally:
            self.connections.discard(conn)
            reader.close()
            conn.close()

    def shutdown(self):
        self._running = False
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def server_close(self):
        self.socket.close()
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    port = int(os.environ.get("PORT", "8080"))
    base_dir = os.environ.get("OW_ACTION_DIR", "/action")
    proxy = Proxy(base_dir)
    server = Server(("", port), proxy)
    if port == 0:
        sys.stderr.write("listening on %d\n" % server.server_address[1])
        sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.close()


if __name__ == "__main__":
    main()
