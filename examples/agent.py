#!/usr/bin/env python3
"""The demo agent: one allowed call, one denied call.

Run it under the runtime:  autonomy run python3 examples/agent.py
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from autonomy_client import call, Denied  # noqa: E402


def show(title, answer):
    print("agent: %s" % title)
    print("  " + json.dumps(answer, sort_keys=True))


def main():
    print("agent: runtime at %s" % os.environ["AUTONOMY_RUNTIME_URL"])
    answer = call("tool.echo", message="hello from the agent", n=3)
    show("tool.echo -> %s (audit_id %s)" % (answer["decision"],
                                            answer["audit_id"]), answer)
    try:
        call("tool.shell", cmd="rm -rf /")
        print("agent: tool.shell was allowed?! the policy is wrong")
        return 1
    except Denied as d:
        show("tool.shell -> deny by the %s layer (audit_id %s)"
             % (d.answer["layer"], d.answer["audit_id"]), d.answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
