using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Mnist.Core.Inference;
using Mnist.Testing;
using Mnist.Web.Tests.Support;
using SkiaSharp;

namespace Mnist.Web.Tests;

/// <summary>The HTTP API on a real in-process Kestrel: every endpoint and every way a request can be wrong.</summary>
[Collection(ServedModelCollection.Name)]
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class ApiTests(ServedModelFixture served)
{
    private HttpClient Client => served.Client;

    private static ByteArrayContent Body(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static byte[] DrawnDigit(int digit) => DigitStrokes.RenderPng(digit, 280, 25, 40, 40, 200);

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await Json(response);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detailContains, problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Health_endpoint_says_ok()
    {
        var response = await Client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await Json(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Every_answer_says_nosniff_the_page_the_json_and_an_error()
    {
        foreach (var route in new[] { "/", "/api/model", "/no-such-page" })
        {
            using var response = await Client.GetAsync(new Uri(route, UriKind.Relative));

            Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        }
    }

    [Fact]
    public async Task Model_card_describes_the_served_file()
    {
        var card = await Json(await Client.GetAsync(new Uri("/api/model", UriKind.Relative)));

        Assert.Equal("mnist", card.GetProperty("dataset").GetString());
        Assert.Equal(10, card.GetProperty("class_names").GetArrayLength());
        Assert.Equal(825_162, card.GetProperty("summary").GetProperty("total_params").GetInt64());
        Assert.Equal(11, card.GetProperty("summary").GetProperty("layers").GetArrayLength());
        var evaluation = card.GetProperty("evaluation");
        Assert.InRange(evaluation.GetProperty("accuracy").GetDouble(), 0.9, 1.0);
        Assert.Equal(10, evaluation.GetProperty("confusion_matrix").GetArrayLength());
        Assert.True(card.GetProperty("history").GetArrayLength() >= 1);
    }

    [Fact]
    public async Task Page_is_served_with_its_automation_hooks_and_no_external_assets()
    {
        var html = await Client.GetStringAsync(new Uri("/", UriKind.Relative));
        var js = await Client.GetStringAsync(new Uri("/app.js", UriKind.Relative));
        var css = await Client.GetStringAsync(new Uri("/app.css", UriKind.Relative));

        foreach (var hook in new[] { "id=\"pad\"", "id=\"clear\"", "id=\"prediction\"", "id=\"probabilities\"", "id=\"model-input\"", "id=\"upload\"" })
        {
            Assert.Contains(hook, html, StringComparison.Ordinal);
        }
        foreach (var text in new[] { html, js, css })
        {
            Assert.DoesNotContain("http://", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("https://", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("//cdn", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_drawn_digit_as_a_png_body_gets_digit_probabilities_and_the_model_input()
    {
        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(DrawnDigit(7), "image/png"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Json(response);
        Assert.Equal(7, json.GetProperty("digit").GetInt32());
        var probabilities = json.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(10, probabilities.Length);
        Assert.Equal(1.0, probabilities.Sum(), 3);
        Assert.Equal(7, Array.IndexOf(probabilities, probabilities.Max()));
        var input = json.GetProperty("input").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(784, input.Length);
        Assert.All(input, v => Assert.InRange(v, 0, 1));
    }

    [Fact]
    public async Task The_api_input_is_the_core_preprocessing_of_the_same_bytes()
    {
        var png = DrawnDigit(3);

        var json = await Json(await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(png, "image/png")));

        var expected = ImagePreprocessor.FromEncoded(png);
        var actual = json.GetProperty("input").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task A_jpeg_body_is_read()
    {
        var digit = TestData.Mnist.Test.Image(0).ToArray();
        var jpeg = Png.EncodeGrey(digit, 28, 28, SKEncodedImageFormat.Jpeg, invert: true);

        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(jpeg, "image/jpeg"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((int)TestData.Mnist.Test.Labels[0], (await Json(response)).GetProperty("digit").GetInt32());
    }

    [Fact]
    public async Task A_multipart_form_with_an_image_field_is_read()
    {
        using var form = new MultipartFormDataContent { { Body(DrawnDigit(4), "image/png"), "image", "four.png" } };

        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, (await Json(response)).GetProperty("digit").GetInt32());
    }

    [Fact]
    public async Task A_multipart_form_without_an_image_field_is_a_400_naming_the_field()
    {
        using var form = new MultipartFormDataContent { { Body(DrawnDigit(4), "image/png"), "picture", "four.png" } };

        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), form);

        await AssertProblem(response, HttpStatusCode.BadRequest, "'image'");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("image/gif")]
    public async Task A_wrong_content_type_is_a_415(string contentType)
    {
        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(DrawnDigit(1), contentType));

        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, contentType);
    }

    [Fact]
    public async Task A_body_without_content_type_is_a_415()
    {
        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), new ByteArrayContent(DrawnDigit(1)));

        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "image/png");
    }

    [Fact]
    public async Task An_undecodable_body_is_a_400_saying_why()
    {
        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body("not a picture at all"u8.ToArray(), "image/png"));

        await AssertProblem(response, HttpStatusCode.BadRequest, "not a decodable image");
    }

    [Fact]
    public async Task An_empty_body_is_a_400()
    {
        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body([], "image/png"));

        await AssertProblem(response, HttpStatusCode.BadRequest, "empty");
    }

    [Fact]
    public async Task An_image_with_no_ink_is_a_422()
    {
        var blank = Png.Draw(200, 200, SKColors.Black, _ => { });

        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(blank, "image/png"));

        await AssertProblem(response, HttpStatusCode.UnprocessableEntity, "no ink");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413()
    {
        var big = new byte[ServeOptions.DefaultMaxBodyBytes + 1];
        DrawnDigit(2).CopyTo(big, 0);

        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(big, "image/png"));

        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, $"{ServeOptions.DefaultMaxBodyBytes} bytes");
    }

    [Fact]
    public async Task A_streamed_body_over_the_limit_without_a_length_is_a_413()
    {
        var big = new byte[ServeOptions.DefaultMaxBodyBytes + 100_000];
        var content = new StreamContent(new NonSeekableStream(big));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");

        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task The_body_limit_is_configurable()
    {
        var (app, address) = await ServedModelFixture.StartAsync(new ServeOptions { Model = served.ModelPath, Urls = "http://127.0.0.1:0", MaxBodyBytes = 1000 });
        await using var _ = app;
        using var client = new HttpClient { BaseAddress = address };
        var png = DrawnDigit(5);
        Assert.True(png.Length > 1000);

        var response = await client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(png, "image/png"));

        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "1000 bytes");
    }

    [Fact]
    public async Task The_onnx_engine_answers_every_drawn_digit_with_the_torch_engines_digit_and_probabilities_within_1e_4()
    {
        var (app, address) = await ServedModelFixture.StartAsync(new ServeOptions { Model = served.ModelPath, Urls = "http://127.0.0.1:0", Engine = InferenceEngineKind.Onnx });
        await using var _ = app;
        using var onnx = new HttpClient { BaseAddress = address };

        var health = await Json(await onnx.GetAsync(new Uri("/healthz", UriKind.Relative)));
        Assert.Equal(("ok", "onnx"), (health.GetProperty("status").GetString(), health.GetProperty("engine").GetString()));
        Assert.Equal("torch", (await Json(await Client.GetAsync(new Uri("/healthz", UriKind.Relative)))).GetProperty("engine").GetString());
        Assert.Equal(
            await Client.GetStringAsync(new Uri("/api/model", UriKind.Relative)),
            await onnx.GetStringAsync(new Uri("/api/model", UriKind.Relative)));

        for (var digit = 0; digit < 10; digit++)
        {
            var png = DrawnDigit(digit);
            var fromTorch = await Json(await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(png, "image/png")));
            var response = await onnx.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(png, "image/png"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var fromOnnx = await Json(response);

            Assert.Equal(fromTorch.GetProperty("digit").GetInt32(), fromOnnx.GetProperty("digit").GetInt32());
            var expected = fromTorch.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var actual = fromOnnx.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(10, actual.Length);
            Assert.True(expected.Zip(actual).All(p => Math.Abs(p.First - p.Second) < 1e-4),
                $"digit {digit}: torch [{string.Join(", ", expected)}], onnx [{string.Join(", ", actual)}]");
            Assert.Equal(fromTorch.GetProperty("input").GetRawText(), fromOnnx.GetProperty("input").GetRawText());
        }
    }

    [Fact]
    public async Task Huge_dimensions_are_refused_before_decoding()
    {
        var bomb = Png.HeaderClaiming(60_000, 60_000);

        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(bomb, "image/png"));

        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "60000x60000");
    }

    [Fact]
    public async Task Concurrent_requests_all_get_the_answer_a_single_request_gets()
    {
        var images = Enumerable.Range(0, 10).Select(DrawnDigit).ToArray();
        var alone = new int[10];
        for (var d = 0; d < 10; d++)
        {
            alone[d] = (await Json(await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(images[d], "image/png")))).GetProperty("digit").GetInt32();
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(images[i % 10], "image/png"));
            return (i % 10, response.StatusCode, (await Json(response)).GetProperty("digit").GetInt32());
        }));

        Assert.All(responses, r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(alone[r.Item1], r.Item3);
        });
    }

    [Fact]
    public async Task Bad_requests_leave_the_server_serving()
    {
        await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body("garbage"u8.ToArray(), "image/jpeg"));
        await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(Png.HeaderClaiming(9000, 9000), "image/png"));

        var response = await Client.PostAsync(new Uri("/api/predict", UriKind.Relative), Body(DrawnDigit(0), "image/png"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A stream with no length, so the client sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
