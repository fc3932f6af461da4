// The ShopApp function's code: a file asset published by the pipeline's Assets stage.
exports.handler = async () => ({ statusCode: 200, body: 'shop' });
