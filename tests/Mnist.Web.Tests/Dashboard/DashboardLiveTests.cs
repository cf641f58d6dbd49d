using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using Mnist.Testing;
using Mnist.Web.Dashboard;
using Mnist.Web.Tests.Support;

namespace Mnist.Web.Tests.Dashboard;

/// <summary>
/// The dashboard page opened once in headless Chromium before a real <c>mnist tune</c> process starts its study:
/// without a reload, the study appears, its history points and table rows grow as trials end (the page shows some, then
/// more: a history of three points or more is waited for), and a trial that the
/// ASHA pruner stops shows as pruned. The search enqueues the seed's model first and then the same model with a
/// learning rate of 1e-4, which is pruned at the first rung (a ninth of an epoch). On SQLite and on PostgreSQL.
/// </summary>
public abstract class DashboardLiveTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string StudyName = "s";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private readonly StringBuilder _log = new();
    private Process? _tune;
    private WebApplication? _app;

    protected TempDir Dir { get; } = new();

    /// <summary>The tune process's <c>--storage</c> (null: the SQLite file in <c>--out</c>).</summary>
    protected abstract string? Storage { get; }

    /// <summary>The dashboard over the storage the tune process writes to, before the study exists.</summary>
    protected abstract DashboardOptions Options { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_tune is { HasExited: false }) _tune.Kill(entireProcessTree: true);
        _tune?.WaitForExit(10_000);
        _tune?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        Dir.Dispose();
    }

    private void StartTune()
    {
        File.WriteAllText(Dir.File("seed.json"), "{}");
        File.WriteAllText(Dir.File("slow.json"), """{"learning_rate": 0.0001}""");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "mnist.dll"), "tune", "--data-dir", TestData.MnistDir, "--out", Dir.Path, "--study", StudyName,
                     "--trials", "4", "--max-epochs", "2", "--data-fraction", "0.03", "--threads", "1", "--seed", "7", "--pruner", "asha",
                     "--enqueue", Dir.File("seed.json"), "--enqueue", Dir.File("slow.json"),
                 })
        {
            info.ArgumentList.Add(a);
        }
        if (Storage is not null)
        {
            info.ArgumentList.Add("--storage");
            info.ArgumentList.Add(Storage);
        }
        _tune = Process.Start(info)!;
        _tune.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _tune.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine("err: " + e.Data); };
        _tune.BeginOutputReadLine();
        _tune.BeginErrorReadLine();
    }

    private string Log()
    {
        lock (_log) return _log.ToString();
    }

    private sealed record Seen(int Studies, int Points, int Rows, bool PrunedPoint, bool PrunedRow, int Polls);

    private static async Task<Seen> Look(IPage page)
    {
        var v = await page.EvaluateAsync<int[]>("""
            () => [
              document.querySelectorAll('#studies li[data-study]').length,
              document.querySelectorAll('#history circle[data-trial]').length,
              document.querySelectorAll('#trials-table tbody tr[data-trial]').length,
              document.querySelectorAll('#history circle[data-status="pruned"]').length,
              document.querySelectorAll('#trials-table tbody tr[data-status="pruned"]').length,
              Number(document.getElementById('updated').dataset.polls),
            ]
            """);
        return new Seen(v[0], v[1], v[2], v[3] > 0, v[4] > 0, v[5]);
    }

    [Fact]
    public async Task Given_the_page_open_before_a_tune_process_starts_When_its_trials_end_Then_the_study_appears_and_its_points_and_rows_grow_and_a_pruned_trial_shows_pruned_without_a_reload()
    {
        Uri address;
        (_app, address) = await DashboardFixture.StartAsync(Options);
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1300, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(address.ToString());
        await page.WaitForFunctionAsync("() => Number(document.getElementById('updated').dataset.polls) > 0");
        await page.EvaluateAsync("() => { window.sameDocument = true; }"); // a reload would forget it
        var first = await Look(page);

        StartTune();
        var seen = new List<Seen> { first };
        var clock = Stopwatch.StartNew();
        TimeSpan? exited = null;
        while (!(seen[^1] is { Points: >= 3, Rows: >= 3, PrunedPoint: true, PrunedRow: true }))
        {
            Assert.True(clock.Elapsed < Patience, $"after {clock.Elapsed.TotalSeconds:0} s the page shows {seen[^1]}\n--- tune:\n{Log()}");
            if (_tune!.HasExited) exited ??= clock.Elapsed;
            if (exited is not null && clock.Elapsed - exited > TimeSpan.FromSeconds(10))
            {
                Assert.Fail($"tune exited ({_tune.ExitCode}) and the page still shows {seen[^1]}\n--- tune:\n{Log()}");
            }
            await Task.Delay(250);
            seen.Add(await Look(page));
        }

        Assert.Equal(0, first.Studies); // the study did not exist when the page was opened
        // Grown while watched: the page showed some points (rows), and later more, not only the end state.
        var points = seen.Select(s => s.Points).Where(n => n > 0).Distinct().ToList();
        var rows = seen.Select(s => s.Rows).Where(n => n > 0).Distinct().ToList();
        Assert.True(points.Count >= 2 && points.SequenceEqual(points.Order()), $"the history points did not grow: {string.Join(", ", points)}");
        Assert.True(rows.Count >= 2 && rows.SequenceEqual(rows.Order()), $"the table rows did not grow: {string.Join(", ", rows)}");
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
        var prunedRow = page.Locator("#trials-table tbody tr[data-status=\"pruned\"]").First;
        Assert.StartsWith("pruned@", (await prunedRow.Locator("td.status").TextContentAsync())?.Trim(), StringComparison.Ordinal);
        var prunedId = await prunedRow.GetAttributeAsync("data-trial");
        Assert.Equal(1, await page.Locator($"#curves .pruned-mark[data-trial=\"{prunedId}\"]").CountAsync());
        Assert.Equal(StudyName, await page.Locator("#studies li[data-study]").First.GetAttributeAsync("data-study"));
    }
}

[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class SqliteDashboardLiveTests(BrowserFixture browser) : DashboardLiveTests(browser), IClassFixture<BrowserFixture>
{
    protected override string? Storage => null;

    /// <summary>The folder the tune process makes its study file in: empty when the page opens.</summary>
    protected override DashboardOptions Options => new() { Study = Dir.Path };
}

[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
[Trait("Category", "Postgres")]
public sealed class PostgresDashboardLiveTests(BrowserFixture browser, PostgresDatabase database) : DashboardLiveTests(browser), IClassFixture<BrowserFixture>, IClassFixture<PostgresDatabase>
{
    protected override string? Storage => database.Url;

    /// <summary>A database with no schema yet when the page opens.</summary>
    protected override DashboardOptions Options => new() { Storage = database.Url };
}
