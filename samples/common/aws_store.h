/* aws_store.h — the seed's sample3 storage, shared by samples/users-api and samples/lambda: a
 * user as a DynamoDB item and a JSON object in S3, through plain libcurl calls signed with
 * SigV4 (CURLOPT_AWS_SIGV4), which the plugin's patch=curl traces as the Python SDK traces
 * boto3. */
#ifndef SAMPLES_AWS_STORE_H
#define SAMPLES_AWS_STORE_H

typedef struct aws_store {
    char region[64], table[256], bucket[256];
    char access_key[256], secret_key[256], session_token[4096];
    char ddb[256], s3[256];   /* endpoints */
} aws_store;

/* From the environment: AWS_REGION (us-east-1), TABLE_NAME (Users), BUCKET_NAME (users-bucket),
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (as Lambda sets them). The
 * DynamoDB endpoint is the variable `ddb_env` names, else AWS_ENDPOINT_URL_DYNAMODB (which the
 * AWS SDKs read), else the region's; S3's likewise with `s3_env` and AWS_ENDPOINT_URL_S3. */
void aws_store_init(aws_store *s, const char *ddb_env, const char *s3_env);
/* Creates the table and the bucket when they are missing (call it outside any segment). */
void aws_store_prepare(const aws_store *s);
/* PutItem, then PutObject users/<id>.json; 0 when both succeeded. */
int aws_store_put_user(const aws_store *s, const char *user_id, const char *name);

#endif
