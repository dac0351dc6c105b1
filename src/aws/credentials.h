/*
 * credentials.h — where AWS credentials, region and endpoints come from,
 * the way the AWS SDKs find them:
 *
 *   credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
 *                then the profile (AWS_PROFILE, else "default") in
 *                AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), then the
 *                same profile in AWS_CONFIG_FILE (~/.aws/config, "[profile x]");
 *   region:      AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`;
 *   endpoint:    AWS_ENDPOINT_URL_<SERVICE> (S3, DYNAMODB, …), AWS_ENDPOINT_URL,
 *                the profile's `endpoint_url` (and `services` sections are not
 *                supported), else the public AWS endpoint for the region.
 * Per-node overrides in job files (endpoint, region, profile) take precedence.
 * Secrets are never printed: sl_aws_describe() shows where they came from and
 * the access key id's last 4 characters only.
 */
#ifndef SL_CREDENTIALS_H
#define SL_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/sigv4.h"
#include "core/error.h"

typedef struct sl_aws_config {
    sl_aws_creds creds;
    char region[64];
    char endpoint[512];      /* "" = AWS public endpoint for the region */
    bool path_style;         /* S3 path-style addressing (set for custom endpoints) */
    char creds_source[128];  /* "environment", "profile default in ~/.aws/credentials", … */
} sl_aws_config;

/* Overrides from a job node; any member may be NULL. */
typedef struct sl_aws_overrides {
    const char *profile;
    const char *region;
    const char *endpoint;
    const char *access_key;  /* normally absent: prefer the environment/profile */
    const char *secret_key;
} sl_aws_overrides;

/* Resolve configuration for service ("s3", "dynamodb", "es"). Missing
 * credentials are an error naming every place that was looked at. The
 * environment is read through getenv; HOME locates ~/.aws. */
int sl_aws_config_load(const char *service, const sl_aws_overrides *ov, sl_aws_config *out, sl_error *err);

/* Public endpoint URL for a service and region ("https://dynamodb.us-east-1.amazonaws.com"). */
void sl_aws_default_endpoint(const char *service, const char *region, char *out, size_t size);

/* One line for logs: region, endpoint, credential source, key id ****ABCD. */
void sl_aws_describe(const sl_aws_config *c, char *out, size_t size);

#endif
