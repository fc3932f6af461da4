"""The ShopApp function's code: a file asset published by the pipeline's Assets stage."""


def handler(event, context):
    return {"statusCode": 200, "body": "shop"}
