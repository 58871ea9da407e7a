"""Unit tests of the Python action proxy: `python3 -m unittest discover -s runtimes/python`."""
import base64
import http.client
import io
import json
import os
import shutil
import socket
import tarfile
import tempfile
import threading
import unittest
import zipfile

import proxy

SENTINEL = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return base64.b64encode(buf.getvalue()).decode()


def tgz_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return base64.b64encode(buf.getvalue()).decode()


def init_body(code, **value):
    value["code"] = code
    return json.dumps({"value": value}).encode()


def run_body(value, **fields):
    fields["value"] = value
    return json.dumps(fields).encode()


class ProxyCase(unittest.TestCase):
    """A Proxy whose action writes its stdout and stderr into two files."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="proxy-test-")
        self.out_path = os.path.join(self.dir, "stdout")
        self.err_path = os.path.join(self.dir, "stderr")
        self.out_fd = os.open(self.out_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self.err_fd = os.open(self.err_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        env = {"PATH": os.environ.get("PATH", ""), "__OW_API_HOST": "http://api.example"}
        self.proxy = proxy.Proxy(os.path.join(self.dir, "action"), self.out_fd, self.err_fd, env)

    def tearDown(self):
        self.proxy.close()
        os.close(self.out_fd)
        os.close(self.err_fd)
        shutil.rmtree(self.dir, ignore_errors=True)

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def init(self, code, **value):
        status, body = self.proxy.init(init_body(code, **value))
        return status, json.loads(body)

    def run_action(self, value=None, **fields):
        status, body = self.proxy.run(run_body({} if value is None else value, **fields))
        return status, json.loads(body)

    def assertInitOk(self, code, **value):
        status, body = self.init(code, **value)
        self.assertEqual((status, body), (200, {"ok": True}), self.stderr())


class InitTest(ProxyCase):
    def test_plain_code(self):
        self.assertInitOk("def main(args):\n    return {'greeting': 'hello ' + args.get('name', 'world')}\n")
        self.assertEqual(self.run_action({"name": "edge"}), (200, {"greeting": "hello edge"}))

    def test_main_names_the_function(self):
        self.assertInitOk("def handler(args):\n    return {'via': 'handler'}\n", main="handler")
        self.assertEqual(self.run_action(), (200, {"via": "handler"}))

    def test_no_sentinels_after_a_successful_init(self):
        self.assertInitOk("print('loading')\ndef main(args):\n    return {}\n")
        self.assertNotIn(SENTINEL, self.stdout() + self.stderr())

    def test_second_init_is_refused(self):
        self.assertInitOk("def main(args):\n    return {}\n")
        self.assertEqual(self.init("def main(a): return {}"), (403, {"error": "Cannot initialize the action more than once."}))

    def test_no_code(self):
        self.assertEqual(self.init(""), (403, {"error": "Missing main/no code to execute."}))
        status, body = self.proxy.init(b'{"value": {}}')
        self.assertEqual((status, json.loads(body)), (403, {"error": "Missing main/no code to execute."}))

    def test_unreadable_body(self):
        status, body = self.proxy.init(b"{not json")
        self.assertEqual(status, 400)
        self.assertTrue(json.loads(body)["error"].startswith("Error unmarshaling request:"))

    def test_bad_base64(self):
        status, body = self.init("not base64!", binary=True)
        self.assertEqual(status, 400)
        self.assertTrue(body["error"].startswith("cannot decode the request:"), body)

    def test_syntax_error_cannot_start(self):
        status, body = self.init("def main(args)\n    return {}\n")
        self.assertEqual((status, body), (502, {"error": "Cannot start action. Check logs for details."}))
        err = self.stderr()
        self.assertIn("SyntaxError", err)
        self.assertIn("Command exited abruptly during initialization.", err)
        self.assertTrue(err.endswith(SENTINEL + "\n"))
        self.assertTrue(self.stdout().endswith(SENTINEL + "\n"))

    def test_missing_main_function(self):
        status, body = self.init("def other(args):\n    return {}\n")
        self.assertEqual((status, body), (502, {"error": "Cannot start action. Check logs for details."}))
        self.assertIn("'main' is not defined", self.stderr())

    def test_failed_init_may_be_retried(self):
        self.assertEqual(self.init("raise Exception('boom')\n")[0], 502)
        self.assertInitOk("def main(args):\n    return {'second': True}\n")
        self.assertEqual(self.run_action(), (200, {"second": True}))

    def test_init_env_reaches_the_action(self):
        code = "import os\ndef main(args):\n    return {k: os.environ.get(k) for k in ('SECRET', 'CONFIG', '__OW_API_HOST', 'HOSTILE')}\n"
        self.assertInitOk(code, env={"SECRET": "s3", "CONFIG": {"a": [1, 2]}})
        status, body = self.run_action()
        self.assertEqual(body, {"SECRET": "s3", "CONFIG": '{"a": [1, 2]}', "__OW_API_HOST": "http://api.example", "HOSTILE": None})

    def test_import_time_output_goes_to_the_first_activation(self):
        self.assertInitOk("print('at import')\ndef main(args):\n    return {}\n")
        self.run_action()
        self.assertEqual(self.stdout(), "at import\n" + SENTINEL + "\n")


class ArchiveTest(ProxyCase):
    def test_zip_with_main_and_a_helper_module(self):
        code = zip_of({
            "__main__.py": "from helper import greet\ndef main(args):\n    return {'msg': greet(args['name'])}\n",
            "helper.py": "def greet(n):\n    return 'hi ' + n\n",
        })
        self.assertInitOk(code, binary=True)
        self.assertEqual(self.run_action({"name": "zip"}), (200, {"msg": "hi zip"}))

    def test_zip_with_a_package(self):
        code = zip_of({
            "__main__.py": "from pkg.sub import VALUE\ndef main(args):\n    return {'v': VALUE}\n",
            "pkg/__init__.py": "",
            "pkg/sub.py": "VALUE = 42\n",
        })
        self.assertInitOk(code, binary=True)
        self.assertEqual(self.run_action(), (200, {"v": 42}))

    def test_zip_with_an_exec_file(self):
        self.assertInitOk(zip_of({"exec": "def main(args):\n    return {'exec': True}\n"}), binary=True)
        self.assertEqual(self.run_action(), (200, {"exec": True}))

    def test_tar_gz(self):
        self.assertInitOk(tgz_of({"__main__.py": "def main(args):\n    return {'tar': True}\n"}), binary=True)
        self.assertEqual(self.run_action(), (200, {"tar": True}))

    def test_base64_source_that_is_no_archive(self):
        code = base64.b64encode(b"def main(args):\n    return {'b64': True}\n").decode()
        self.assertInitOk(code, binary=True)
        self.assertEqual(self.run_action(), (200, {"b64": True}))

    def test_zip_without_main(self):
        status, body = self.init(zip_of({"other.py": "x = 1\n"}), binary=True)
        self.assertEqual((status, body), (502, {"error": "Cannot start action. Check logs for details."}))
        self.assertIn("does not include __main__.py", self.stderr())

    def test_broken_zip(self):
        code = base64.b64encode(b"PK\x03\x04 this is not really a zip").decode()
        status, body = self.init(code, binary=True)
        self.assertEqual((status, body), (502, {"error": "The action failed to generate or locate a binary. See logs for details."}))
        self.assertIn("cannot extract the action", self.stderr())
        self.assertTrue(self.stdout().endswith(SENTINEL + "\n"))

    def test_zip_paths_cannot_escape(self):
        code = zip_of({"../../escaped.py": "x = 1\n", "__main__.py": "def main(args):\n    return {}\n"})
        self.assertInitOk(code, binary=True)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "escaped.py")))

    def test_virtualenv_with_activate_this(self):
        activate = (
            "import os, site, sys\n"
            "base = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
            "prev = list(sys.path)\n"
            "site.addsitedir(os.path.join(base, 'lib', 'site-packages'))\n"
            "sys.path[:] = [p for p in sys.path if p not in prev] + prev\n"
        )
        code = zip_of({
            "__main__.py": "import venvpkg\ndef main(args):\n    return {'from': venvpkg.WHERE}\n",
            "virtualenv/bin/activate_this.py": activate,
            "virtualenv/lib/site-packages/venvpkg/__init__.py": "WHERE = 'virtualenv'\n",
        })
        self.assertInitOk(code, binary=True)
        self.assertEqual(self.run_action(), (200, {"from": "virtualenv"}))

    def test_virtualenv_made_by_venv(self):
        code = zip_of({
            "__main__.py": "import json, venvpkg\ndef main(args):\n    return {'from': venvpkg.WHERE}\n",
            "virtualenv/pyvenv.cfg": "home = /usr/bin\n",
            "virtualenv/lib/python3.11/site-packages/venvpkg/__init__.py": "WHERE = 'venv'\n",
        })
        self.assertInitOk(code, binary=True)
        self.assertEqual(self.run_action(), (200, {"from": "venv"}))


class RunTest(ProxyCase):
    def test_run_before_init(self):
        self.assertEqual(self.run_action(), (500, {"error": "no action defined yet"}))

    def test_environment_per_activation(self):
        code = "import os\ndef main(args):\n    return {k: v for k, v in os.environ.items() if k.startswith('__OW_')}\n"
        self.assertInitOk(code)
        fields = {
            "namespace": "guest", "action_name": "/guest/py", "action_version": "0.0.1",
            "activation_id": "a1", "transaction_id": "t1", "deadline": "1700000000000", "api_key": "k:1",
        }
        status, env = self.run_action({"x": 1}, **fields)
        self.assertEqual(status, 200)
        for key, value in fields.items():
            self.assertEqual(env["__OW_" + key.upper()], value)
        self.assertNotIn("__OW_VALUE", env)
        status, env = self.run_action({}, activation_id="a2", deadline=5)
        self.assertEqual((env["__OW_ACTIVATION_ID"], env["__OW_DEADLINE"]), ("a2", "5"))

    def test_sentinels_after_every_run_on_both_streams(self):
        code = "import sys\ndef main(args):\n    print('out', args['n'])\n    print('err', args['n'], file=sys.stderr)\n    return {}\n"
        self.assertInitOk(code)
        self.run_action({"n": 1})
        self.run_action({"n": 2})
        self.assertEqual(self.stdout(), "out 1\n%s\nout 2\n%s\n" % (SENTINEL, SENTINEL))
        self.assertEqual(self.stderr(), "err 1\n%s\nerr 2\n%s\n" % (SENTINEL, SENTINEL))

    def test_exception_is_an_error_result(self):
        self.assertInitOk("def main(args):\n    raise ValueError('bad input')\n")
        self.assertEqual(self.run_action(), (200, {"error": "bad input"}))
        self.assertIn("Traceback", self.stderr())
        self.assertIn("ValueError: bad input", self.stderr())

    def test_error_field_passes_through(self):
        self.assertInitOk("def main(args):\n    return {'error': {'code': 7}}\n")
        self.assertEqual(self.run_action(), (200, {"error": {"code": 7}}))

    def test_array_result(self):
        self.assertInitOk("def main(args):\n    return [1, 'two']\n")
        self.assertEqual(self.run_action(), (200, [1, "two"]))

    def test_not_a_dictionary(self):
        for i, result in enumerate(("42", "'text'", "None", "float('nan')", "{'n': float('nan')}", "{1, 2}")):
            with self.subTest(result=result):
                self.proxy.close()
                self.proxy = proxy.Proxy(os.path.join(self.dir, "action%d" % i), self.out_fd, self.err_fd, {})
                self.assertInitOk("def main(args):\n    return %s\n" % result)
                self.assertEqual(self.run_action(), (502, {"error": "The action did not return a dictionary or array."}))
                self.assertTrue(self.stderr().endswith(SENTINEL + "\n"))

    def test_exit_during_a_run(self):
        self.assertInitOk("import sys\ndef main(args):\n    sys.exit(3)\n")
        self.assertEqual(self.run_action(), (400, {"error": "command exited"}))
        self.assertTrue(self.stdout().endswith(SENTINEL + "\n"))
        self.assertEqual(self.run_action(), (500, {"error": "no action defined yet"}))

    def test_killed_by_a_signal_is_logged(self):
        self.assertInitOk("import os\ndef main(args):\n    os.kill(os.getpid(), 9)\n")
        self.assertEqual(self.run_action(), (400, {"error": "command exited"}))
        self.assertIn("The action's process was killed (signal 9).", self.stderr())

    def test_oom_counter_names_memory_exhaustion(self):
        counter = os.path.join(self.dir, "memory.events")
        with open(counter, "w") as f:
            f.write("low 0\noom 0\noom_kill 0\n")
        original = proxy.OOM_COUNTERS
        proxy.OOM_COUNTERS = (counter,)
        try:
            code = "import os\ndef main(args):\n    open(%r, 'w').write('oom_kill 1\\n')\n    os.kill(os.getpid(), 9)\n" % counter
            self.assertInitOk(code)
            self.assertEqual(self.run_action(), (400, {"error": "command exited"}))
            self.assertIn("The action exhausted its memory and was aborted.", self.stderr())
        finally:
            proxy.OOM_COUNTERS = original

    def test_stdin_is_not_the_protocol(self):
        self.assertInitOk("import sys\ndef main(args):\n    return {'read': sys.stdin.read()}\n")
        self.assertEqual(self.run_action({"a": 1}), (200, {"read": ""}))
        self.assertEqual(self.run_action({"a": 2}), (200, {"read": ""}))

    def test_unicode_and_newlines_in_values(self):
        self.assertInitOk("def main(args):\n    return {'echo': args['s']}\n")
        text = "line1\nline2 \u00e9\u4e2d\U0001F600"
        self.assertEqual(self.run_action({"s": text}), (200, {"echo": text}))

    def test_pretty_printed_request_body(self):
        self.assertInitOk("def main(args):\n    return args\n")
        status, body = self.proxy.run(json.dumps({"value": {"a": [1, 2]}}, indent=2).encode())
        self.assertEqual((status, json.loads(body)), (200, {"a": [1, 2]}))

    def test_state_survives_between_runs(self):
        self.assertInitOk("count = 0\ndef main(args):\n    global count\n    count += 1\n    return {'count': count}\n")
        self.assertEqual(self.run_action(), (200, {"count": 1}))
        self.assertEqual(self.run_action(), (200, {"count": 2}))


class HttpTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="proxy-http-")
        self.null = os.open(os.devnull, os.O_WRONLY)
        self.server = proxy.Server(("127.0.0.1", 0), proxy.Proxy(self.dir, self.null, self.null))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.server.server_address[1], timeout=10)

    def tearDown(self):
        self.conn.close()
        self.server.shutdown()
        self.server.server_close()
        self.server.proxy.close()
        os.close(self.null)
        shutil.rmtree(self.dir, ignore_errors=True)

    def post(self, path, body, headers=None):
        self.conn.request("POST", path, body, headers or {})
        response = self.conn.getresponse()
        return response.status, response.getheader("Content-Type"), json.loads(response.read())

    def test_init_and_runs_on_one_kept_alive_connection(self):
        self.assertEqual(self.post("/init", init_body("def main(a):\n    return {'n': a['n']}\n")), (200, "application/json", {"ok": True}))
        for n in range(5):
            self.assertEqual(self.post("/run", run_body({"n": n})), (200, "application/json", {"n": n}))

    def test_nagle_is_off(self):
        self.post("/init", init_body("def main(a):\n    return {}\n"))
        self.assertEqual(self.post("/run", run_body({}))[0], 200)
        accepted = list(self.server.connections)
        self.assertEqual(len(accepted), 1)
        self.assertEqual(accepted[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 1)

    def test_raw_request_and_connection_close(self):
        self.post("/init", init_body("def main(a):\n    return {'raw': True}\n"))
        sock = socket.create_connection(("127.0.0.1", self.server.server_address[1]))
        try:
            sock.sendall(b"POST /run HTTP/1.1\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{\"value\":{}}")
            data = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.assertTrue(data.startswith(b"HTTP/1.1 200 OK\r\n"), data)
            self.assertIn(b"Connection: close", data)
            self.assertTrue(data.endswith(b'{"raw": true}\n'), data)
        finally:
            sock.close()

    def test_expect_100_continue(self):
        self.post("/init", init_body("def main(a):\n    return {'n': len(a['s'])}\n"))
        body = run_body({"s": "x" * 5000})
        sock = socket.create_connection(("127.0.0.1", self.server.server_address[1]))
        try:
            sock.sendall(b"POST /run HTTP/1.1\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(body))
            self.assertEqual(sock.recv(4096), b"HTTP/1.1 100 Continue\r\n\r\n")
            sock.sendall(body)
            self.assertIn(b'{"n": 5000}', sock.recv(4096))
        finally:
            sock.close()

    def test_malformed_request(self):
        sock = socket.create_connection(("127.0.0.1", self.server.server_address[1]))
        try:
            sock.sendall(b"NONSENSE\r\n\r\n")
            self.assertTrue(sock.recv(4096).startswith(b"HTTP/1.1 400 Bad Request\r\n"))
        finally:
            sock.close()

    def test_chunked_request_body(self):
        self.post("/init", init_body("def main(a):\n    return a\n"))
        body = run_body({"chunked": True})
        self.conn.putrequest("POST", "/run")
        self.conn.putheader("Transfer-Encoding", "chunked")
        self.conn.endheaders()
        self.conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        response = self.conn.getresponse()
        self.assertEqual((response.status, json.loads(response.read())), (200, {"chunked": True}))

    def test_unknown_path(self):
        self.assertEqual(self.post("/other", b"{}")[0], 404)
        self.conn.request("GET", "/init")
        response = self.conn.getresponse()
        self.assertEqual(response.status, 404)
        response.read()


if __name__ == "__main__":
    unittest.main()
