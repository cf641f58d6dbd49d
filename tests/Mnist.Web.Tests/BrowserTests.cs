using System.Globalization;
using Microsoft.Playwright;
using Mnist.Testing;
using Mnist.Web.Tests.Support;

namespace Mnist.Web.Tests;

/// <summary>
/// The page as a user meets it, in headless Chromium: digits drawn on #pad with the mouse and
/// with a finger on a phone, cleared, and uploaded as a file.
/// </summary>
[Collection(ServedModelCollection.Name)]
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class BrowserTests(ServedModelFixture served, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>Set to a file path to keep the screenshot of the page (the README's picture).</summary>
    public const string ScreenshotVariable = "MNIST_SCREENSHOT";

    private async Task<IPage> OpenAsync(BrowserNewContextOptions? options = null)
    {
        var context = await browser.Browser.NewContextAsync(options ?? new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(served.BaseAddress.ToString());
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#architecture tr').length > 1");
        return page;
    }

    /// <summary>The digit's strokes mapped into the middle 70% of the pad, in page coordinates.</summary>
    private static async Task<List<List<(float X, float Y)>>> StrokesOnPad(IPage page, int digit)
    {
        var box = (await page.Locator("#pad").BoundingBoxAsync())!;
        var size = box.Height * 0.7f;
        var left = box.X + (box.Width - size) / 2;
        var top = box.Y + (box.Height - size) / 2;
        return [.. DigitStrokes.For(digit).Select(s => s.Select(p => ((float)(left + p.X * size), (float)(top + p.Y * size))).ToList())];
    }

    private static async Task DrawWithMouse(IPage page, int digit)
    {
        foreach (var stroke in await StrokesOnPad(page, digit))
        {
            await page.Mouse.MoveAsync(stroke[0].X, stroke[0].Y);
            await page.Mouse.DownAsync();
            foreach (var (x, y) in stroke.Skip(1)) await page.Mouse.MoveAsync(x, y);
            await page.Mouse.UpAsync();
        }
    }

    private static async Task DrawWithFinger(IPage page, int digit)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        foreach (var stroke in await StrokesOnPad(page, digit))
        {
            await Touch(cdp, "touchStart", stroke[0]);
            foreach (var p in stroke.Skip(1)) await Touch(cdp, "touchMove", p);
            await cdp.SendAsync("Input.dispatchTouchEvent", new Dictionary<string, object> { ["type"] = "touchEnd", ["touchPoints"] = Array.Empty<object>() });
        }
    }

    private static Task Touch(ICDPSession cdp, string type, (float X, float Y) p) =>
        cdp.SendAsync("Input.dispatchTouchEvent", new Dictionary<string, object>
        {
            ["type"] = type,
            ["touchPoints"] = new[] { new Dictionary<string, object> { ["x"] = p.X, ["y"] = p.Y, ["radiusX"] = 4, ["radiusY"] = 4, ["force"] = 1 } },
        });

    /// <summary>Waits until the shown prediction is the answer for the pad as it is now.</summary>
    private static Task Settled(IPage page) =>
        page.WaitForFunctionAsync("() => document.getElementById('prediction').dataset.version === document.getElementById('pad').dataset.version");

    private static async Task<string> Prediction(IPage page) => (await page.Locator("#prediction").TextContentAsync() ?? "").Trim();

    private static async Task<double[]> Bars(IPage page)
    {
        var rows = page.Locator("#probabilities [data-digit]");
        Assert.Equal(10, await rows.CountAsync());
        var result = new double[10];
        for (var i = 0; i < 10; i++)
        {
            var row = rows.Nth(i);
            var digit = int.Parse(await row.GetAttributeAsync("data-digit") ?? "-1", CultureInfo.InvariantCulture);
            result[digit] = double.Parse(await row.GetAttributeAsync("data-probability") ?? "nan", CultureInfo.InvariantCulture);
        }
        return result;
    }

    /// <summary>The model-input view's pixels: the brightest and the number lit.</summary>
    private static async Task<(int Max, int Lit)> ModelInputView(IPage page)
    {
        var values = await page.EvaluateAsync<int[]>(
            "() => { const c = document.getElementById('model-input'); const d = c.getContext('2d').getImageData(0, 0, 28, 28).data; const r = []; for (let i = 0; i < d.length; i += 4) r.push(d[i]); return r; }");
        Assert.Equal(784, values.Length);
        return (values.Max(), values.Count(v => v > 30));
    }

    private static async Task AssertShows(IPage page, int digit)
    {
        Assert.Equal(digit.ToString(CultureInfo.InvariantCulture), await Prediction(page));
        var bars = await Bars(page);
        Assert.Equal(1.0, bars.Sum(), 2);
        Assert.Equal(digit, Array.IndexOf(bars, bars.Max()));
        var (max, lit) = await ModelInputView(page);
        Assert.True(max > 200, $"the model-input view's brightest pixel is {max}");
        Assert.InRange(lit, 30, 400);
    }

    [Fact]
    public async Task Digits_drawn_with_the_mouse_are_read_and_shown_with_bars_and_the_model_input()
    {
        var page = await OpenAsync();
        var read = new List<string>();
        foreach (var digit in new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 })
        {
            await page.ClickAsync("#clear");
            await DrawWithMouse(page, digit);
            await Settled(page);
            read.Add($"{digit}->{await Prediction(page)}");
            if (digit is 3 or 7) await AssertShows(page, digit);
        }
        var right = read.Count(r => r[0] == r[^1]);
        Assert.True(right >= 9, $"drawn digits read: {string.Join(", ", read)}");
    }

    [Fact]
    public async Task A_digit_drawn_with_a_finger_on_a_phone_is_read_and_the_page_does_not_scroll()
    {
        var page = await OpenAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            DeviceScaleFactor = 3,
            IsMobile = true,
            HasTouch = true,
        });
        var scrollBefore = await page.EvaluateAsync<double>("() => window.scrollY");

        await DrawWithFinger(page, 7);
        await Settled(page);

        await AssertShows(page, 7);
        Assert.Equal(scrollBefore, await page.EvaluateAsync<double>("() => window.scrollY"));
    }

    [Fact]
    public async Task Clear_empties_the_pad_the_prediction_the_bars_and_the_model_input()
    {
        var page = await OpenAsync();
        await DrawWithMouse(page, 1);
        await Settled(page);
        Assert.NotEqual("", await Prediction(page));

        await page.ClickAsync("#clear");
        await Settled(page);

        Assert.Equal("", await Prediction(page));
        Assert.All(await Bars(page), p => Assert.Equal(0, p));
        Assert.Equal(0, (await ModelInputView(page)).Max);
    }

    [Fact]
    public async Task An_empty_pad_shows_no_prediction()
    {
        var page = await OpenAsync();

        Assert.Equal("", await Prediction(page));
        Assert.All(await Bars(page), p => Assert.Equal(0, p));
    }

    [Fact]
    public async Task Undo_removes_the_last_stroke_and_predicts_again()
    {
        var page = await OpenAsync();
        await DrawWithMouse(page, 4);
        await Settled(page);

        await page.ClickAsync("#undo");
        await page.ClickAsync("#undo");
        await Settled(page);

        Assert.Equal("", await Prediction(page));
    }

    [Fact]
    public async Task An_uploaded_image_is_read()
    {
        using var dir = new TempDir();
        var test = TestData.Mnist.Test;
        var file = dir.File("digit.png");
        // A scan-like picture: dark ink on white paper, enlarged.
        var pixels = test.Image(1).ToArray();
        File.WriteAllBytes(file, Png.EncodeGrey(pixels, 28, 28, invert: true));
        var page = await OpenAsync();

        await page.SetInputFilesAsync("#upload", file);
        await page.WaitForFunctionAsync("() => document.getElementById('prediction').textContent !== ''");

        Assert.Equal(test.Labels[1].ToString(CultureInfo.InvariantCulture), await Prediction(page));
        Assert.True((await ModelInputView(page)).Max > 200);
    }

    [Fact]
    public async Task An_upload_with_no_ink_says_so_and_shows_no_prediction()
    {
        using var dir = new TempDir();
        var file = dir.File("blank.png");
        File.WriteAllBytes(file, Png.Draw(64, 64, SkiaSharp.SKColors.White, _ => { }));
        var page = await OpenAsync();

        await page.SetInputFilesAsync("#upload", file);
        await page.WaitForFunctionAsync("() => document.getElementById('status').classList.contains('error')");

        Assert.Contains("422", await page.Locator("#status").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal("", await Prediction(page));
    }

    [Fact]
    public async Task The_page_screenshot_shows_a_drawn_digit_and_the_model_section()
    {
        var page = await OpenAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 760 } });
        await DrawWithMouse(page, 3);
        await Settled(page);
        using var dir = new TempDir();
        var path = Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } keep ? keep : dir.File("page.png");

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });

        Assert.True(new FileInfo(path).Length > 20_000, "the screenshot is nearly empty");
        Assert.Equal("3", await Prediction(page));
    }
}
