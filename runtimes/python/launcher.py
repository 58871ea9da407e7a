"""The action's own process, started by proxy.py: `launcher.py MAIN DIRECTORY`.

As the official Python launcher does: activates DIRECTORY/virtualenv when there is one, imports
DIRECTORY/__main__.py, acknowledges with {"ok": true} on fd 3 when __OW_WAIT_FOR_ACK is set, then
for every request line on stdin sets __OW_<KEY> for each key but "value", calls MAIN(value) and
writes the result as one JSON line on fd 3. An exception becomes {"error": str(exception)} with
the traceback on stderr.
"""
import importlib.util
import json
import os
import sys

# glob and traceback are imported when needed: each import is paid on every cold start.


def activate_virtualenv(directory):
    venv = os.path.join(directory, "virtualenv")
    if not os.path.isdir(venv):
        return
    activate_this = os.path.join(venv, "bin", "activate_this.py")
    if os.path.isfile(activate_this):  # made by `virtualenv` (what the official images expect)
        with open(activate_this) as f:
            exec(compile(f.read(), activate_this, "exec"), {"__file__": activate_this})
        return
    # made by `python -m venv`, which writes no activate_this.py: its site-packages go first.
    import glob
    import site

    found = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages"))
    if not found:
        sys.stderr.write("Invalid virtualenv. Zip file does not include virtualenv/bin/activate_this.py or virtualenv/lib/python3.*/site-packages.\n")
        sys.exit(1)
    before = list(sys.path)
    for packages in found:
        site.addsitedir(packages)
    added = [p for p in sys.path if p not in before]
    sys.path[:] = added + before


def load(directory, main_name):
    entry = os.path.join(directory, "__main__.py")
    if not os.path.isfile(entry):
        sys.stderr.write("Zip file does not include __main__.py\n")
        sys.exit(1)
    # Modules beside __main__.py import as top-level modules, as in the official images.
    sys.path[0] = directory
    activate_virtualenv(directory)
    spec = importlib.util.spec_from_file_location("main__", entry)
    module = importlib.util.module_from_spec(spec)
    sys.modules["main__"] = module
    spec.loader.exec_module(module)
    function = getattr(module, main_name, None)
    if not callable(function):
        sys.stderr.write("The action's main function '%s' is not defined in __main__.py\n" % main_name)
        sys.exit(1)
    return function


def serialize(result):
    try:
        return json.dumps(result, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        import traceback

        traceback.print_exc(file=sys.stderr)
        return "null"  # not a dictionary: the proxy answers 502


def main():
    main_name, directory = sys.argv[1], os.path.abspath(sys.argv[2])
    os.chdir(directory)
    # The protocol owns fd 0 and fd 3; the action gets an empty stdin of its own.
    requests = os.fdopen(os.dup(0), "rb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull)
    results = os.fdopen(3, "wb")
    # Each printed line reaches the log at once (a timed-out activation still shows its logs).
    sys.stdout.reconfigure(line_buffering=True)

    function = load(directory, main_name)
    if os.environ.get("__OW_WAIT_FOR_ACK", "") != "":
        results.write(b'{"ok": true}\n')
        results.flush()

    env = os.environ
    while True:
        line = requests.readline()
        if not line:
            break
        args = json.loads(line)
        payload = {}
        for key, value in args.items():
            if key == "value":
                payload = value
            else:
                env["__OW_%s" % key.upper()] = value if isinstance(value, str) else json.dumps(value)
        try:
            result = function(payload)
        except Exception as ex:
            import traceback

            traceback.print_exc(file=sys.stderr)
            result = {"error": str(ex)}
        out = serialize(result)
        sys.stdout.flush()
        sys.stderr.flush()
        results.write(out.encode("utf-8") + b"\n")
        results.flush()


if __name__ == "__main__":
    main()
