#define _GNU_SOURCE
#include <execinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// With FAXD_TEST_CRASH_FRAMES set (`make test` sets it), a fatal signal in the test process writes
// the crashed thread's frames (backtrace(3), which unwinds through libc's abort) to stderr, then
// dies of the signal as it would have. Swift's own backtracer cannot unwind past abort() on Debian's
// libc, and its report of registers and images filled the end of the CI log instead.

static void faxd_report_crash(int signal_number) {
    static const char head[] = "\n*** faxd tests: fatal signal ";
    static const char tail[] = "; the crashed thread's frames:\n";
    char number[4] = {(char)('0' + signal_number / 10), (char)('0' + signal_number % 10), 0, 0};
    write(STDERR_FILENO, head, sizeof head - 1);
    write(STDERR_FILENO, number, strlen(number));
    write(STDERR_FILENO, tail, sizeof tail - 1);
    void *frames[64];
    int count = backtrace(frames, 64);
    backtrace_symbols_fd(frames, count, STDERR_FILENO);
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

__attribute__((constructor)) static void faxd_install_crash_frames(void) {
    if (getenv("FAXD_TEST_CRASH_FRAMES") == NULL) return;
    // backtrace(3) loads libgcc_s on its first call, which is not safe inside a signal handler.
    void *warm[1];
    backtrace(warm, 1);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = faxd_report_crash;
    sigemptyset(&action.sa_mask);
    const int signals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    for (size_t index = 0; index < sizeof signals / sizeof signals[0]; index++) sigaction(signals[index], &action, NULL);
}
