/* test_credentials.c — the AWS credential/region/endpoint chain and the INI
 * reader. Each test runs with a fresh temporary HOME and every AWS_*
 * variable unset; files are written under $HOME/.aws. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/credentials.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static char home[256];

static const char *const AWS_VARS[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_OPENSEARCH",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
};

static void rm_rf(const char *path) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state) {
    snprintf(home, sizeof home, "/tmp/sluice-creds-XXXXXX");
    if (!mkdtemp(home)) return -1;
    setenv("HOME", home, 1);
    for (size_t i = 0; i < sizeof AWS_VARS / sizeof *AWS_VARS; i++)
        unsetenv(AWS_VARS[i]);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/.aws", home);
    return mkdir(dir, 0700);
}

static int teardown(void **state) {
    rm_rf(home);
    return 0;
}

static void write_file(const char *rel, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", home, rel);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int load(const char *service, const sl_aws_overrides *ov, sl_aws_config *c, sl_error *err) {
    sl_error_clear(err);
    return sl_aws_config_load(service, ov, c, err);
}

/* ---- credentials ---- */

static void test_environment(void **state) {
    setenv("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT1", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_SESSION_TOKEN", "token-env", 1);
    write_file(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = filesecret\n");
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.creds.access_key, "AKIDENVIRONMENT1");
    assert_string_equal(c.creds.secret_key, SECRET);
    assert_string_equal(c.creds.session_token, "token-env");
    assert_string_equal(c.creds_source, "environment");
    assert_string_equal(c.region, "us-east-1");
    assert_string_equal(c.endpoint, "");
    assert_false(c.path_style);
}

static void test_job_keys_first(void **state) {
    setenv("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT1", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    sl_aws_overrides ov = {.access_key = "AKIDJOB", .secret_key = "jobsecret"};
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", &ov, &c, &err), 0);
    assert_string_equal(c.creds.access_key, "AKIDJOB");
    assert_string_equal(c.creds.session_token, "");
    assert_string_equal(c.creds_source, "job file");
}

static void test_credentials_file_robust_parsing(void **state) {
    write_file(".aws/credentials", "\xEF\xBB\xBF# a comment\r\n"
                                   "; another\r\n"
                                   "\r\n"
                                   "[other]\r\n"
                                   "aws_access_key_id=AKIDOTHER\r\n"
                                   "aws_secret_access_key=othersecret\r\n"
                                   "  [ default ]  \r\n"
                                   "   AWS_Access_Key_Id   =   AKIDDEFAULT   # inline comment\r\n"
                                   "aws_secret_access_key:" SECRET "\r\n"
                                   "aws_session_token = tok==\r\n"
                                   "[profile x]\n"
                                   "aws_access_key_id = AKIDWRONG\n");
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("dynamodb", NULL, &c, &err), 0);
    assert_string_equal(c.creds.access_key, "AKIDDEFAULT");
    assert_string_equal(c.creds.secret_key, SECRET);
    assert_string_equal(c.creds.session_token, "tok==");
    assert_string_equal(c.creds_source, "profile default in ~/.aws/credentials");

    /* "[profile x]" in the credentials file is a profile named "profile x". */
    setenv("AWS_PROFILE", "x", 1);
    assert_int_equal(load("s3", NULL, &c, &err), SL_ENOTFOUND);
}

static void test_config_file_profiles(void **state) {
    write_file(".aws/config", "[default]\n"
                              "region = eu-west-1\n"
                              "[x]\n"
                              "aws_access_key_id = AKIDBARE\n"
                              "aws_secret_access_key = baresecret\n"
                              "[profile   x  ]\n"
                              "region = ap-south-1 ; Mumbai\n"
                              "aws_access_key_id = AKIDCONFIGX\n"
                              "aws_secret_access_key = configsecret\n"
                              "s3 =\n"
                              "  endpoint_url = http://nested.invalid\n"
                              "  addressing_style = path\n"
                              "endpoint_url = http://localhost:9000/\n");
    setenv("AWS_PROFILE", "x", 1);
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.creds.access_key, "AKIDCONFIGX");
    assert_string_equal(c.creds_source, "profile x in ~/.aws/config");
    assert_string_equal(c.region, "ap-south-1");
    /* The nested "s3 =" block is skipped; the trailing '/' dropped. */
    assert_string_equal(c.endpoint, "http://localhost:9000");
    assert_true(c.path_style);

    /* The bare [x] section of the config file is not profile x. */
    unsetenv("AWS_PROFILE");
    assert_int_equal(load("s3", NULL, &c, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "~/.aws/config [default] (no aws_access_key_id/aws_secret_access_key)"));
}

static void test_credentials_file_before_config(void **state) {
    write_file(".aws/credentials", "[p]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = s1\n");
    write_file(".aws/config", "[profile p]\naws_access_key_id = AKIDCONF\naws_secret_access_key = s2\n"
                              "region = us-west-2\n");
    sl_aws_overrides ov = {.profile = "p"};
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", &ov, &c, &err), 0);
    assert_string_equal(c.creds.access_key, "AKIDCREDS");
    assert_string_equal(c.region, "us-west-2");
}

static void test_job_profile_skips_environment(void **state) {
    setenv("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT1", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_PROFILE", "env-profile", 1);
    write_file(".aws/credentials", "[job-profile]\naws_access_key_id = AKIDJOBPROFILE\naws_secret_access_key = s\n"
                                   "[env-profile]\naws_access_key_id = AKIDENVPROFILE\naws_secret_access_key = s\n");
    sl_aws_overrides ov = {.profile = "job-profile"};
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", &ov, &c, &err), 0);
    assert_string_equal(c.creds.access_key, "AKIDJOBPROFILE");
    /* Without the job's profile, the environment's keys win over AWS_PROFILE. */
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.creds.access_key, "AKIDENVIRONMENT1");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.creds.access_key, "AKIDENVPROFILE");
}

static void test_file_locations_from_environment(void **state) {
    write_file("creds.ini", "[default]\naws_access_key_id = AKIDELSEWHERE\naws_secret_access_key = s\n");
    write_file("conf.ini", "[default]\nregion = sa-east-1\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "~/creds.ini", 1);
    char conf[300];
    snprintf(conf, sizeof conf, "%s/conf.ini", home);
    setenv("AWS_CONFIG_FILE", conf, 1);
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.creds.access_key, "AKIDELSEWHERE");
    assert_string_equal(c.creds_source, "profile default in ~/creds.ini");
    assert_string_equal(c.region, "sa-east-1");
}

static void test_missing_lists_every_place(void **state) {
    write_file(".aws/config", "[profile other]\nregion = eu-west-1\n");
    setenv("AWS_PROFILE", "team", 1);
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", NULL, &c, &err), SL_ENOTFOUND);
    assert_string_equal(err.message,
                        "no AWS credentials found for profile 'team'; looked at: the job's access_key/secret_key "
                        "(not set), the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set), "
                        "~/.aws/credentials [team] (no such file), ~/.aws/config [profile team] (no such profile)");
    sl_aws_overrides ov = {.profile = "team"};
    assert_int_equal(load("s3", &ov, &c, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "the environment (skipped: the job names a profile)"));
    assert_string_equal(c.creds.access_key, "");
}

static void test_unsupported_source_named(void **state) {
    write_file(".aws/config", "[profile sso]\nsso_session = corp\nregion = eu-west-1\n"
                              "[profile proc]\ncredential_process = /bin/get-creds\n");
    sl_aws_overrides ov = {.profile = "proc"};
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", &ov, &c, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "[profile proc] (uses credential_process, which sluice does not support)"));
    assert_null(strstr(err.message, "/bin/get-creds"));
    ov.profile = "sso";
    assert_int_equal(load("s3", &ov, &c, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "uses sso_session"));
}

static void test_half_pairs_are_errors_without_secrets(void **state) {
    sl_aws_config c;
    sl_error err;
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    assert_int_equal(load("s3", NULL, &c, &err), SL_EINVAL);
    assert_string_equal(err.message, "the environment sets AWS_SECRET_ACCESS_KEY but not AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");

    write_file(".aws/credentials", "[default]\naws_secret_access_key = " SECRET "\n");
    assert_int_equal(load("s3", NULL, &c, &err), SL_EINVAL);
    assert_string_equal(err.message, "profile default in ~/.aws/credentials sets aws_secret_access_key but not "
                                     "aws_access_key_id");

    sl_aws_overrides ov = {.access_key = "AKIDJOB"};
    assert_int_equal(load("s3", &ov, &c, &err), SL_EINVAL);
    assert_string_equal(err.message, "the job sets access_key but not secret_key");
    assert_null(strstr(err.message, SECRET));
}

static void test_too_long_values(void **state) {
    char text[4096];
    char longkey[300];
    memset(longkey, 'K', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    snprintf(text, sizeof text, "[default]\naws_access_key_id = AKID\naws_secret_access_key = %s\n", longkey);
    write_file(".aws/credentials", text);
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", NULL, &c, &err), SL_EINVAL);
    assert_string_equal(err.message,
                        "~/.aws/credentials line 3: the value of aws_secret_access_key is too long (at most 127 "
                        "characters)");
    write_file(".aws/credentials", "");
    setenv("AWS_ACCESS_KEY_ID", longkey, 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    assert_int_equal(load("s3", NULL, &c, &err), SL_EINVAL);
    assert_null(strstr(err.message, "KKKK"));
}

static void test_unreadable_file(void **state) {
    char dir[300];
    snprintf(dir, sizeof dir, "%s/.aws/credentials", home);
    assert_int_equal(mkdir(dir, 0700), 0); /* a directory: opens, but cannot be read */
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", NULL, &c, &err), SL_EIO);
    assert_non_null(strstr(err.message, "cannot read ~/.aws/credentials"));
}

static void test_no_home(void **state) {
    unsetenv("HOME");
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", NULL, &c, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "~/.aws/credentials (HOME not set) [default]"));
    setenv("HOME", home, 1);
}

/* ---- region ---- */

static void test_region_chain(void **state) {
    setenv("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT1", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    write_file(".aws/config", "[default]\nregion = eu-central-1\n");
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.region, "eu-central-1");
    setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.region, "eu-north-1");
    setenv("AWS_REGION", "eu-south-1", 1);
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.region, "eu-south-1");
    sl_aws_overrides ov = {.region = "us-west-1"};
    assert_int_equal(load("s3", &ov, &c, &err), 0);
    assert_string_equal(c.region, "us-west-1");
    ov.region = "us-west-1/../evil";
    assert_int_equal(load("s3", &ov, &c, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "the job's region is not a valid region name"));
}

/* ---- endpoint ---- */

static void test_endpoint_chain(void **state) {
    setenv("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT1", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    write_file(".aws/config", "[default]\nendpoint_url = http://profile:1\n");
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.endpoint, "http://profile:1");
    setenv("AWS_ENDPOINT_URL", "http://global:2", 1);
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.endpoint, "http://global:2");
    setenv("AWS_ENDPOINT_URL_S3", "http://s3only:3//", 1);
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.endpoint, "http://s3only:3");
    assert_true(c.path_style);
    assert_int_equal(load("dynamodb", NULL, &c, &err), 0);
    assert_string_equal(c.endpoint, "http://global:2");
    setenv("AWS_ENDPOINT_URL_OPENSEARCH", "https://search:4", 1);
    assert_int_equal(load("es", NULL, &c, &err), 0);
    assert_string_equal(c.endpoint, "https://search:4");
    sl_aws_overrides ov = {.endpoint = "https://job:5"};
    assert_int_equal(load("s3", &ov, &c, &err), 0);
    assert_string_equal(c.endpoint, "https://job:5");

    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    assert_string_equal(c.endpoint, "");
    assert_false(c.path_style);
    assert_int_equal(load("s3", &ov, &c, &err), 0);
    assert_string_equal(c.endpoint, "https://job:5");

    ov.endpoint = "localhost:9000";
    assert_int_equal(load("s3", &ov, &c, &err), SL_EINVAL);
    assert_string_equal(err.message, "the job's endpoint must start with http:// or https://");
}

static void test_default_endpoint(void **state) {
    char url[128];
    sl_aws_default_endpoint("dynamodb", "us-east-1", url, sizeof url);
    assert_string_equal(url, "https://dynamodb.us-east-1.amazonaws.com");
    sl_aws_default_endpoint("s3", "cn-north-1", url, sizeof url);
    assert_string_equal(url, "https://s3.cn-north-1.amazonaws.com.cn");
    sl_aws_default_endpoint("s3", "", url, sizeof url);
    assert_string_equal(url, "https://s3.us-east-1.amazonaws.com");
}

static void test_describe_hides_secrets(void **state) {
    setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_SESSION_TOKEN", "SESSIONTOKENVALUE", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000", 1);
    sl_aws_config c;
    sl_error err;
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    char line[512];
    sl_aws_describe(&c, line, sizeof line);
    assert_string_equal(line, "region us-east-1, endpoint http://127.0.0.1:9000 (path-style), credentials from "
                              "environment, key id ****MPLE (with session token)");
    assert_null(strstr(line, SECRET));
    assert_null(strstr(line, "SESSIONTOKENVALUE"));
    /* A short key id is not shown at all. */
    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    assert_int_equal(load("s3", NULL, &c, &err), 0);
    sl_aws_describe(&c, line, sizeof line);
    assert_non_null(strstr(line, "key id **** "));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_keys_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_file_robust_parsing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_file_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_file_before_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_profile_skips_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_locations_from_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_lists_every_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_source_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_pairs_are_errors_without_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_long_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_home, setup, teardown),
        cmocka_unit_test_setup_teardown(test_region_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_chain, setup, teardown),
        cmocka_unit_test(test_default_endpoint),
        cmocka_unit_test_setup_teardown(test_describe_hides_secrets, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
