/* The console driven by scripted input through the fake console HAL. */
#include "agent_fixture.h"

static void boot(bool echo)
{
    agent_options_t opt = {echo};
    agent_init(&opt, fake_ms);
    settle();
}

static int setup(void **state)
{
    (void)state;
    fake_ms = 5000;
    fake_nv_reset();
    fake_console_reset();
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    fake_resets = 0;
    fake_smb_add(11, 1, "SVC1", "CORP\\svc_backup", 0, 5 * 3600);
    fake_smb_add(12, 2, "10.1.4.22", "", 0, 0)->connected_s = 720;
    fake_smb_add(13, 3, "WS-ALICE", "CORP\\alice", 3, 120);
    boot(false);
    run_ms(1000);
    fake_console_clear_out();
    return 0;
}

/* Types a line and returns everything printed until the console is idle. */
static const char *cmd(const char *line)
{
    fake_console_clear_out();
    fake_console_type(line);
    fake_console_type("\n");
    settle();
    return fake_console_out();
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

static void test_banner_and_prompt(void **state)
{
    (void)state;
    fake_console_reset();
    boot(false);
    assert_non_null(strstr(fake_console_out(), "'help' lists the commands"));
    assert_non_null(strstr(fake_console_out(), "smbwarden> "));
}

static void test_help(void **state)
{
    (void)state;
    const char *o = cmd("help");
    const char *names[] = {"help", "show sessions", "show session ID", "show events [N]", "show leaks [N]",
                           "show status", "show config", "set KEY VALUE", "unset KEY",
                           "save", "session delete ID|\\\\CLIENT|USER|\\\\CLIENT USER [force]",
                           "reboot", "exit"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_non_null(strstr(o, names[i]));
    o = cmd("help show");
    assert_int_equal(count(o, "\nshow "), 5); /* show session(s), events, leaks, status, config */
    assert_null(strstr(o, "reboot"));
    o = cmd("help frobnicate");
    assert_non_null(strstr(o, "error: no command 'frobnicate'"));
}

static void test_show_sessions_table(void **state)
{
    (void)state;
    const char *o = cmd("show sessions");
    const char *cols[] = {"ID", "Computer", "User name", "Client type", "Opens",
                          "Idle time", "State", "Reason"};
    for (size_t i = 0; i < 8; i++) assert_non_null(strstr(o, cols[i]));
    assert_non_null(strstr(o, "\\\\SVC1"));
    assert_non_null(strstr(o, "CORP\\svc_backup"));
    assert_non_null(strstr(o, "5:00:01"));
    assert_non_null(strstr(o, "stale  idle"));
    assert_non_null(strstr(o, "(null)"));
    assert_non_null(strstr(o, "stale  null"));
    assert_non_null(strstr(o, "active"));
    assert_non_null(strstr(o, "3 live (2 stale), 0 ended"));
    assert_true(strlen(o) > 0 && o[strlen(o) - 1] == ' '); /* ends at a prompt */
}

static void test_show_one_session(void **state)
{
    (void)state;
    const char *o = cmd("show session 3");
    assert_non_null(strstr(o, "Session 3: \\\\WS-ALICE, user CORP\\alice, SMB3_11"));
    assert_non_null(strstr(o, "active, 3 open file(s), idle 0:02:01 (the server's figure)"));
    assert_non_null(strstr(o, "server session 13, connection 3,"));
    assert_non_null(strstr(o, "eviction: -"));
    o = cmd("show session 99");
    assert_non_null(strstr(o, "error: no session '99'"));
    o = cmd("show session x");
    assert_non_null(strstr(o, "error: no session 'x'"));
}

static void test_show_events_and_status(void **state)
{
    (void)state;
    const char *o = cmd("show events 2");
    assert_int_equal(count(o, "\n#"), 1); /* first line has no leading \n */
    assert_int_equal(count(o, "#"), 2);
    o = cmd("show events");
    assert_non_null(strstr(o, "boot"));
    assert_non_null(strstr(o, "appeared"));
    assert_non_null(strstr(o, "session 1 \\\\SVC1 is stale: idle, idle 5:00:00"));
    o = cmd("show events 0");
    assert_non_null(strstr(o, "error:"));
    o = cmd("show status");
    assert_non_null(strstr(o, "mode report"));
    assert_non_null(strstr(o, "3 on the server"));
    assert_non_null(strstr(o, "refusals   7"));
}

static void test_show_config_lists_every_key(void **state)
{
    (void)state;
    const char *o = cmd("show config");
    for (size_t i = 0; i < cfg_key_count; i++) assert_non_null(strstr(o, cfg_keys[i].name));
    assert_non_null(strstr(o, "policy.idle_timeout    15m"));
}

static void test_set_unset_save(void **state)
{
    (void)state;
    cfg_t before = *agent_cfg();
    const char *o = cmd("set policy.nope 1");
    assert_non_null(strstr(o, "error: unknown key 'policy.nope'"));
    o = cmd("set policy.idle_timeout 5x");
    assert_non_null(strstr(o, "error: policy.idle_timeout: '5x' is not valid (off|1m..30d)"));
    o = cmd("set policy.idle_timeout 10s");
    assert_non_null(strstr(o, "error: policy.idle_timeout: 10s is out of range off|1m..30d"));
    o = cmd("set policy.limit_low 90");
    assert_non_null(strstr(o, "error: policy.limit_low (90%) must be below"));
    assert_memory_equal(&before, agent_cfg(), sizeof before);
    assert_int_equal(count(o, "\n"), 1); /* one line */

    o = cmd("set policy.mode enforce");
    assert_non_null(strstr(o, "policy.mode = enforce (not saved"));
    o = cmd("set policy.protect WS01, \\\\WS02");
    assert_non_null(strstr(o, "policy.protect = WS01,WS02"));
    assert_non_null(strstr(cmd("show config"), "(not saved)"));
    o = cmd("save");
    assert_non_null(strstr(o, "settings saved"));
    assert_null(strstr(cmd("show config"), "(not saved)"));
    o = cmd("unset policy.mode");
    assert_non_null(strstr(o, "policy.mode = report (not saved"));
    /* `show config` marks that key's line, and only it */
    o = cmd("show config");
    assert_int_equal(count(o, "(not saved)"), 1);
    const char *line = strstr(o, "\npolicy.mode ");
    assert_non_null(line);
    const char *end = strchr(line + 1, '\n');
    assert_non_null(end);
    const char *mark = strstr(line, "(not saved)");
    assert_true(mark && mark < end);
    fake_console_reset();
    boot(false);
    assert_int_equal(agent_cfg()->mode, CFG_MODE_ENFORCE);
    assert_string_equal(agent_cfg()->protect, "WS01,WS02");
}

static void test_bad_commands(void **state)
{
    (void)state;
    assert_non_null(strstr(cmd("frob"), "error: unknown command 'frob'"));
    assert_non_null(strstr(cmd("show frob"), "error: unknown command 'show frob'"));
    assert_non_null(strstr(cmd("show status now"), "error: usage: show status"));
    assert_non_null(strstr(cmd("unset"), "error: usage: unset KEY"));
    assert_non_null(strstr(cmd("a b c d e f g h i j"), "error: unknown command 'a'"));
    const char *o = cmd("");
    assert_string_equal(o, "smbwarden> ");
}

static void test_session_delete(void **state)
{
    (void)state;
    const char *o = cmd("session delete 3");
    assert_non_null(strstr(o, "error: session 3 holds 3 open file(s); 'force'"));
    assert_int_equal(fake_smb_ends, 0);
    o = cmd("session delete 3 now");
    assert_non_null(strstr(o, "error: usage: session delete"));
    o = cmd("session delete nobody-here");
    assert_non_null(strstr(o, "error: no live session of user nobody-here"));
    o = cmd("session delete 1");
    assert_non_null(strstr(o, "session 1: end requested for 1 session(s)"));
    o = cmd("session delete \\\\WS-ALICE force");
    assert_non_null(strstr(o, "\\\\WS-ALICE: end requested for 1 session(s)"));
    assert_int_equal(fake_smb_ends, 2);
    settle();
    o = cmd("show sessions");
    assert_non_null(strstr(o, "ended  evicted"));
    assert_non_null(strstr(o, "1 live (1 stale), 2 ended"));
}

static void test_line_editing_on_a_terminal(void **state)
{
    (void)state;
    fake_console_reset();
    boot(true);
    fake_console_clear_out();
    fake_console_type("shox\x7fw st\x08\x08 status\r\n");
    settle();
    const char *o = fake_console_out();
    assert_non_null(strstr(o, "x\b \bw"));      /* echo, then rubbed out */
    assert_non_null(strstr(o, "mode report\r\n"));
    fake_console_clear_out();
    fake_console_type("garbage\x15help save\r");
    settle();
    assert_non_null(strstr(fake_console_out(), "keep settings across restarts"));
    fake_console_clear_out();
    fake_console_type("set policy.mode enforce\x03");
    settle();
    assert_non_null(strstr(fake_console_out(), "^C\r\nsmbwarden> "));
    assert_int_equal(agent_cfg()->mode, CFG_MODE_REPORT);
    fake_console_clear_out();
    fake_console_type("\x1b[Ahelp\x1b[D reboot\r"); /* arrow keys ignored */
    settle();
    assert_non_null(strstr(fake_console_out(), "restart the agent"));
    /* a control byte cuts a sequence short and acts: ctrl-C still cancels,
     * Enter still ends the line (found by the console fuzz target) */
    fake_console_clear_out();
    fake_console_type("set policy.mode enforce\x1b[1\x03");
    settle();
    assert_non_null(strstr(fake_console_out(), "^C\r\nsmbwarden> "));
    assert_int_equal(agent_cfg()->mode, CFG_MODE_REPORT);
    fake_console_clear_out();
    fake_console_type("help save\x1b[\r");
    settle();
    assert_non_null(strstr(fake_console_out(), "keep settings across restarts"));
}

/* Names from the SMB server reach the terminal without control bytes, C1
 * controls or broken UTF-8; well-formed characters stay. */
static void test_outside_names_are_printed_safely(void **state)
{
    (void)state;
    fake_smb_add(14, 4, "EVIL\x1b[2J\x9b" "31m\xc2\x9b", "CORP\\j\xc3\xa9r\xc3\xb4me\x07", 0, 60);
    run_ms(11000);
    const char *o = cmd("show sessions");
    assert_null(strchr(o, 0x1b));
    assert_null(strchr(o, 0x07));
    assert_null(strchr(o, (char)0x9b));
    assert_non_null(strstr(o, "EVIL?[2J?31m??"));
    assert_non_null(strstr(o, "CORP\\j\xc3\xa9r\xc3\xb4me?"));
}

static void test_overlong_line(void **state)
{
    (void)state;
    char line[600];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\0';
    const char *o = cmd(line);
    assert_non_null(strstr(o, "error: unknown command 'xxx"));
    assert_non_null(strstr(cmd("show status"), "mode"));
}

static void test_slow_console_loses_nothing(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 60; i++) fake_smb_add(100 + i, 100 + i, "BULK", "u", 0, 10);
    run_ms(10000);
    char fast[16384];
    snprintf(fast, sizeof fast, "%s", cmd("show sessions"));
    fake_console_max_write = 7;
    fake_console_clear_out();
    fake_console_type("show sessions\nshow status\n");
    for (int i = 0; i < 5000; i++) agent_poll(fake_ms);
    const char *o = fake_console_out();
    assert_int_equal(strncmp(o, fast, strlen(fast)), 0);
    assert_non_null(strstr(o + strlen(fast), "mode report"));
    assert_int_equal(count(fast, "BULK"), 60);
}

static void test_ctrl_c_stops_a_listing(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 60; i++) fake_smb_add(100 + i, 100 + i, "BULK", "u", 0, 10);
    run_ms(10000);
    fake_console_max_write = 50;
    fake_console_clear_out();
    fake_console_type("show sessions\n");
    agent_poll(fake_ms);
    agent_poll(fake_ms);
    fake_console_type("\x03");
    settle();
    for (int i = 0; i < 2000; i++) agent_poll(fake_ms);
    assert_true(count(fake_console_out(), "BULK") < 60);
    assert_non_null(strstr(cmd("show status"), "mode"));
}

static void test_reboot(void **state)
{
    (void)state;
    const char *o = cmd("reboot");
    assert_non_null(strstr(o, "rebooting"));
    assert_int_equal(fake_resets, 1);
}

/* net session habits: one client's, one user's, or one state's sessions. */
static void test_show_sessions_filters(void **state)
{
    (void)state;
    const char *o = cmd("show sessions \\\\ws-alice");
    assert_non_null(strstr(o, "CORP\\alice"));
    assert_null(strstr(o, "svc_backup"));
    assert_non_null(strstr(o, "1 shown of 3 live"));
    o = cmd("show sessions svc_backup"); /* the name without its domain */
    assert_non_null(strstr(o, "\\\\SVC1"));
    assert_null(strstr(o, "WS-ALICE"));
    o = cmd("show sessions CORP\\svc_backup");
    assert_non_null(strstr(o, "1 shown of"));
    o = cmd("show sessions stale");
    assert_non_null(strstr(o, "SVC1"));
    assert_non_null(strstr(o, "10.1.4.22"));
    assert_null(strstr(o, "WS-ALICE"));
    o = cmd("show sessions ended");
    assert_non_null(strstr(o, "0 shown of"));
    o = cmd("show sessions \\\\");
    assert_non_null(strstr(o, "error: "));
    o = cmd("show sessions a b");
    assert_non_null(strstr(o, "error: usage: show sessions"));
}

/* Commands and keywords in any case; help lists what starts with a prefix. */
static void test_case_and_help_prefix(void **state)
{
    (void)state;
    assert_non_null(strstr(cmd("SHOW STATUS"), "samples "));
    assert_non_null(strstr(cmd("Show Sessions STALE"), "SVC1"));
    const char *o = cmd("help se");
    assert_non_null(strstr(o, "set KEY VALUE"));
    assert_non_null(strstr(o, "session delete"));
    assert_null(strstr(o, "show"));
    o = cmd("HELP SHOW SE");
    assert_non_null(strstr(o, "show sessions"));
    assert_non_null(strstr(o, "show session ID"));
    assert_null(strstr(o, "show status"));
    assert_non_null(strstr(cmd("help zz"), "error: no command 'zz'"));
}

/* session delete USER / \\CLIENT USER, NetSessionDel's forms. */
static void test_session_delete_by_user(void **state)
{
    (void)state;
    const char *o = cmd("session delete \\\\WS-ALICE bob");
    assert_non_null(strstr(o, "error: no live session from \\\\WS-ALICE of user bob"));
    o = cmd("session delete \\\\WS-ALICE CORP\\alice");
    assert_non_null(strstr(o, "error: \\\\WS-ALICE CORP\\alice: end requested for 0 session(s); "
                              "1 held back ('force' overrides): session 3 open files"));
    assert_int_equal(fake_smb_ends, 0);
    o = cmd("session delete svc_backup FORCE");
    assert_non_null(strstr(o, "svc_backup: end requested for 1 session(s)"));
    assert_int_equal(fake_smb_ends, 1);
    o = cmd("session delete \\\\a b c");
    assert_non_null(strstr(o, "error: usage: session delete"));
}

/* exit: once more after a warning when settings are unsaved; a board that
 * cannot exit says to reboot; ctrl-D on an empty terminal line is exit. */
static void test_exit(void **state)
{
    (void)state;
    fake_exits = 0;
    fake_can_exit = true;
    cmd("set policy.mode enforce");
    const char *o = cmd("exit");
    assert_non_null(strstr(o, "settings changed since the last save"));
    assert_int_equal(fake_exits, 0);
    o = cmd("EXIT");
    assert_int_equal(fake_exits, 1);
    assert_null(strstr(o, "smbwarden> ")); /* leaving: no prompt after it */
    fake_can_exit = false;
    o = cmd("exit");
    assert_non_null(strstr(o, "'reboot' restarts it"));
    /* ctrl-D: only on an empty line, only on a terminal */
    fake_exits = 0;
    cmd("\x04");
    assert_int_equal(fake_exits, 0); /* a pipe: a control byte, ignored */
    fake_console_reset();
    boot(true);
    fake_console_clear_out();
    fake_console_type("sh\x04");
    settle();
    assert_int_equal(fake_exits, 0);
    fake_console_type("\x15\x04");
    settle();
    assert_int_equal(fake_exits, 1);
    assert_non_null(strstr(fake_console_out(), "exit\r\n"));
}

/* Text a layer adds while starting comes before the first prompt. */
static void test_startup_text_before_prompt(void **state)
{
    (void)state;
    fake_console_reset();
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    console_say("management channel not ready: test");
    settle();
    const char *o = fake_console_out();
    const char *note = strstr(o, "not ready: test"), *prompt = strstr(o, "smbwarden> ");
    assert_non_null(note);
    assert_non_null(prompt);
    assert_true(note < prompt);
}

/* Bytes lost on the way in: the line they belonged to never runs, nor
 * anything until the input is quiet; a paste is refused. */
static int pasted_lines, pasted_end;
static bool paste_line(const char *line)
{
    if (!line) {
        pasted_end = -1;
        return false;
    }
    pasted_lines++;
    return strcmp(line, "END") != 0;
}

static void test_input_overrun_discards_the_line(void **state)
{
    (void)state;
    fake_console_clear_out();
    fake_console_type("set policy.mode enf");
    settle();
    fake_console_lost = true;      /* "orc" lost, say */
    fake_console_type("e\n");      /* ... and this arrives right after */
    settle();
    assert_non_null(strstr(fake_console_out(), "error: input overrun, line discarded"));
    assert_int_equal(agent_cfg()->mode, CFG_MODE_REPORT);
    fake_console_type("show status\n"); /* still within the damaged burst */
    settle();
    assert_null(strstr(fake_console_out(), "samples "));
    run_ms(400); /* quiet: a fresh prompt, and commands run again */
    assert_non_null(strstr(cmd("show status"), "samples "));
    /* a paste in progress is refused, not stored with a hole */
    pasted_lines = pasted_end = 0;
    console_capture(paste_line, false);
    fake_console_type("AAAA\n");
    settle();
    fake_console_lost = true;
    fake_console_type("CCCC\nEND\n");
    settle();
    assert_int_equal(pasted_lines, 1);
    assert_int_equal(pasted_end, -1);
    run_ms(400);
    assert_non_null(strstr(cmd("show status"), "samples "));
}

/* Secrets typed or pasted on a terminal never come back on it: the secret
 * argument of a command echoes as '*', an unseen paste as "(line N)". */
static char typed_secret[64];
static void run_secret(int argc, char **argv, char *rest)
{
    (void)argc, (void)rest;
    strcpy(typed_secret, argv[1]);
}
static const console_cmd_t secret_cmds[] = {
    {"demo psk", "NAME KEY", "a command with a secret", 2, 2, run_secret, 2},
};
static const console_ext_t secret_ext = {secret_cmds, 1, NULL};

static void test_secrets_are_not_echoed(void **state)
{
    (void)state;
    console_extend(&secret_ext);
    boot(true);
    fake_console_clear_out();
    fake_console_type("DEMO  psk alice s3cr3tKEY\r");
    settle();
    const char *o = fake_console_out();
    assert_null(strstr(o, "s3cr3t"));
    assert_non_null(strstr(o, "DEMO  psk alice *********"));
    assert_string_equal(typed_secret, "s3cr3tKEY");
    /* an unseen paste: no byte of it echoed, a count instead */
    pasted_lines = pasted_end = 0;
    fake_console_clear_out();
    console_capture(paste_line, true);
    fake_console_type("MHcCAQEEIIsecret\rMoreSecret\rEND\r");
    settle();
    o = fake_console_out();
    assert_int_equal(pasted_lines, 3);
    assert_null(strstr(o, "secret"));
    assert_null(strstr(o, "Secret"));
    assert_non_null(strstr(o, "(line 1)\r\n(line 2)\r\n(line 3)\r\n"));
    console_extend(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_banner_and_prompt, setup),
        cmocka_unit_test_setup(test_help, setup),
        cmocka_unit_test_setup(test_show_sessions_table, setup),
        cmocka_unit_test_setup(test_show_one_session, setup),
        cmocka_unit_test_setup(test_show_events_and_status, setup),
        cmocka_unit_test_setup(test_show_config_lists_every_key, setup),
        cmocka_unit_test_setup(test_set_unset_save, setup),
        cmocka_unit_test_setup(test_bad_commands, setup),
        cmocka_unit_test_setup(test_session_delete, setup),
        cmocka_unit_test_setup(test_line_editing_on_a_terminal, setup),
        cmocka_unit_test_setup(test_outside_names_are_printed_safely, setup),
        cmocka_unit_test_setup(test_overlong_line, setup),
        cmocka_unit_test_setup(test_slow_console_loses_nothing, setup),
        cmocka_unit_test_setup(test_ctrl_c_stops_a_listing, setup),
        cmocka_unit_test_setup(test_reboot, setup),
        cmocka_unit_test_setup(test_show_sessions_filters, setup),
        cmocka_unit_test_setup(test_case_and_help_prefix, setup),
        cmocka_unit_test_setup(test_session_delete_by_user, setup),
        cmocka_unit_test_setup(test_exit, setup),
        cmocka_unit_test_setup(test_startup_text_before_prompt, setup),
        cmocka_unit_test_setup(test_input_overrun_discards_the_line, setup),
        cmocka_unit_test_setup(test_secrets_are_not_echoed, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
