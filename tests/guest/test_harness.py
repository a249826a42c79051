#!/usr/bin/env python3
"""Self-tests of harness.py against fake guests (fake_guest.py); no softvm needed.

    python3 tests/guest/test_harness.py

Ends with a line `harness self-tests: passed=N failed=N skipped=N`.
"""

import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "harness.py")
FAKE = os.path.join(HERE, "fake_guest.py")
EXPECTED_MARKS = os.path.join(HERE, "..", "guests", "expected-marks")


def harness(mode, *options, command=None):
    """Run the harness on a fake guest; return (exit status, output, seconds)."""
    command = command or [sys.executable, FAKE, mode]
    start = time.monotonic()
    p = subprocess.run([sys.executable, HARNESS, *options, "--", *command],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr, time.monotonic() - start


def on_jit(mode):
    """A fake guest command line that asks for the JIT."""
    return [sys.executable, FAKE, "-accel", "jit", mode]


class JitCheck(unittest.TestCase):
    """With -accel jit, the harness adds -stats and wants translated blocks."""

    def test_jit_report_at_exit(self):
        rc, out, _ = harness(None, "--expect", "done", command=on_jit("on-jit"))
        self.assertEqual(rc, 0, out)

    def test_jit_report_on_sigusr1_before_a_stop(self):
        rc, out, _ = harness(None, "--timeout", "20", "--expect", "done", "--stop-when-done",
                             command=on_jit("on-jit-no-exit"))
        self.assertEqual(rc, 0, out)

    def test_silent_fallback_fails(self):
        rc, out, _ = harness(None, "--expect", "done", command=on_jit("jit-fallback"))
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL: -accel jit: softvm's -stats report shows no JIT", out)

    def test_no_block_translated_fails(self):
        rc, out, _ = harness(None, "--expect", "done", command=on_jit("jit-nothing-translated"))
        self.assertEqual(rc, 1, out)
        self.assertIn("shows no translated block", out)

    def test_no_report_at_all_fails(self):
        # A command that prints no -stats report at all fails the check too.
        rc, out, _ = harness(None, "--expect", "done", command=[sys.executable, FAKE, "-accel",
                                                                "jit", "good"])
        self.assertEqual(rc, 1, out)
        self.assertIn("-accel jit", out)

    def test_switched_off(self):
        rc, out, _ = harness(None, "--expect", "done", "--no-jit-check",
                             command=on_jit("jit-fallback"))
        self.assertEqual(rc, 0, out)

    def test_interp_is_not_checked(self):
        rc, out, _ = harness(None, "--expect", "done",
                             command=[sys.executable, FAKE, "-accel", "interp", "jit-fallback"])
        self.assertEqual(rc, 0, out)


class PassingRuns(unittest.TestCase):
    def test_good_guest_with_expected_marks_file(self):
        rc, out, _ = harness("good", "--timeout", "20", "--expect-file", EXPECTED_MARKS)
        self.assertEqual(rc, 0, out)
        n = sum(1 for line in open(EXPECTED_MARKS) if line.split("#", 1)[0].strip())
        self.assertIn(f"PASS: {n} marks", out)

    def test_expect_options_in_order(self):
        rc, out, _ = harness("good", "--expect", "boot-ok", "--expect", "gzip-seq",
                             "--expect", "done")
        self.assertEqual(rc, 0, out)

    def test_crlf_and_text_before_mark(self):
        rc, out, _ = harness("crlf", "--expect-file", EXPECTED_MARKS)
        self.assertEqual(rc, 0, out)

    def test_typing_after_a_prompt(self):
        rc, out, _ = harness("interactive", "--timeout", "10", "--send", "# ", r"echo hi\n",
                             "--expect-text", "got: echo hi", "--expect", "done")
        self.assertEqual(rc, 0, out)

    def test_typing_on_a_pty(self):
        rc, out, _ = harness("tty", "--timeout", "10", "--pty", "--send", "raw> ", r"\x01x",
                             "--expect-text", "got 0178", "--exit-status", "5")
        self.assertEqual(rc, 0, out)

    def test_expected_nonzero_exit_status(self):
        rc, out, _ = harness("exit-3", "--expect", "done", "--exit-status", "3")
        self.assertEqual(rc, 0, out)

    def test_any_exit_status(self):
        rc, out, _ = harness("exit-3", "--expect", "done", "--exit-status", "any")
        self.assertEqual(rc, 0, out)

    def test_stop_when_done(self):
        rc, out, secs = harness("no-exit", "--timeout", "30", "--stop-when-done",
                                "--expect-file", EXPECTED_MARKS)
        self.assertEqual(rc, 0, out)
        self.assertLess(secs, 15)

    def test_log_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "console.log")
            rc, out, _ = harness("good", "--expect", "done", "--log", log)
            self.assertEqual(rc, 0, out)
            with open(log, encoding="utf-8") as f:
                self.assertIn("MARK md5-32M", f.read())


class FailingRuns(unittest.TestCase):
    def assertFails(self, rc, out, *reason):
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL:", out)
        for text in reason:
            self.assertIn(text, out)

    def test_wrong_checksum(self):
        rc, out, _ = harness("wrong-checksum", "--expect-file", EXPECTED_MARKS)
        self.assertFails(rc, out, "md5-32M", "00000000000000000000000000000000",
                         "58f06dd588d8ffb3beb46ada6309436b")

    def test_console_tail_shown_on_failure(self):
        rc, out, _ = harness("wrong-checksum", "--expect-file", EXPECTED_MARKS)
        self.assertFails(rc, out, "--- console", "MARK boot-ok")

    def test_hang_times_out(self):
        rc, out, secs = harness("hang", "--timeout", "2", "--expect-file", EXPECTED_MARKS)
        self.assertFails(rc, out, "timed out", "MARK shell-loop")
        self.assertLess(secs, 15)

    def test_hang_with_child_holding_the_console(self):
        rc, out, secs = harness("hang-with-child", "--timeout", "2", "--expect", "done")
        self.assertFails(rc, out, "timed out")
        self.assertLess(secs, 15)

    def test_wrong_exit_status(self):
        rc, out, _ = harness("exit-3", "--expect-file", EXPECTED_MARKS)
        self.assertFails(rc, out, "exit status 3, expected 0")

    def test_exit_before_all_marks(self):
        rc, out, _ = harness("missing-mark", "--expect-file", EXPECTED_MARKS)
        self.assertFails(rc, out, "before MARK gzip-seq")

    def test_marks_out_of_order(self):
        rc, out, _ = harness("out-of-order", "--expect-file", EXPECTED_MARKS)
        self.assertFails(rc, out, "MARK md5-32M came before MARK shell-loop")

    def test_unknown_mark_name_never_seen(self):
        rc, out, _ = harness("good", "--expect", "no-such-mark")
        self.assertFails(rc, out, "before MARK no-such-mark")

    def test_fail_on_text(self):
        rc, out, secs = harness("panic", "--timeout", "20", "--fail-on", "Kernel panic",
                                "--expect-file", EXPECTED_MARKS)
        self.assertFails(rc, out, "Kernel panic")
        self.assertLess(secs, 15)

    def test_prompt_never_answered_without_send(self):
        rc, out, _ = harness("interactive", "--timeout", "2", "--expect", "done")
        self.assertFails(rc, out, "timed out")

    def test_missing_text(self):
        rc, out, _ = harness("good", "--expect-text", "no such text")
        self.assertFails(rc, out, "no such text")

    def test_stderr_shown_on_failure(self):
        rc, out, _ = harness("stderr-noise", "--expect", "done")
        self.assertFails(rc, out, "exit status 1", "something on stderr")

    def test_command_not_found(self):
        rc, out, _ = harness(None, command=["/nonexistent/softvm", "-nographic"])
        self.assertFails(rc, out, "cannot run")


class Usage(unittest.TestCase):
    def test_no_command_is_a_usage_error(self):
        p = subprocess.run([sys.executable, HARNESS, "--expect", "done"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_bad_exit_status_is_a_usage_error(self):
        rc, out, _ = harness("good", "--exit-status", "zero")
        self.assertEqual(rc, 2, out)

    def test_missing_expect_file_is_a_usage_error(self):
        rc, out, _ = harness("good", "--expect-file", "/nonexistent/marks")
        self.assertEqual(rc, 2, out)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"harness self-tests: passed={passed} failed={failed} skipped={skipped}")
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
