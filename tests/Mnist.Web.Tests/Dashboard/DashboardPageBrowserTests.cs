using Microsoft.Playwright;
using Mnist.Web.Tests.Support;

namespace Mnist.Web.Tests.Dashboard;

/// <summary>
/// The dashboard's page in headless Chromium over the study built with the store API (<see cref="SqliteDashboardFixture"/>:
/// trial 0 completed at 0.95, 1 pruned at rung 0 at 0.4, 2 failed, 3 running, 4 queued): what each part shows, and
/// the trials table's sorting and filters.
/// </summary>
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class DashboardPageBrowserTests(SqliteDashboardFixture dashboard, BrowserFixture browser) : IClassFixture<SqliteDashboardFixture>, IClassFixture<BrowserFixture>
{
    private async Task<IPage> OpenAsync(string study = DashboardFixture.Watched)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1300, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(dashboard.BaseAddress + "#study=" + study);
        await page.WaitForFunctionAsync("() => Number(document.getElementById('updated').dataset.polls) > 0");
        return page;
    }

    private static async Task<string[]> RowTrials(IPage page) =>
        await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#trials-table tbody tr')].map(r => r.dataset.trial)");

    [Fact]
    public async Task History_has_a_point_per_scored_trial_the_pruned_one_marked_pruned()
    {
        var page = await OpenAsync();

        Assert.Equal("completed", await page.Locator("#history circle[data-trial=\"0\"]").GetAttributeAsync("data-status"));
        Assert.Equal("pruned", await page.Locator("#history circle[data-trial=\"1\"]").GetAttributeAsync("data-status"));
        Assert.Equal(2, await page.Locator("#history circle[data-trial]").CountAsync());
        Assert.Equal(1, await page.Locator("#history-best").CountAsync());
    }

    [Fact]
    public async Task Curves_end_the_pruned_trial_in_a_mark_at_its_rung()
    {
        var page = await OpenAsync();

        Assert.Equal("0", await page.Locator("#curves .pruned-mark[data-trial=\"1\"]").GetAttributeAsync("data-rung"));
        Assert.Equal(1, await page.Locator("#curves .pruned-mark").CountAsync());
    }

    [Fact]
    public async Task State_best_and_running_trial_are_shown()
    {
        var page = await OpenAsync();

        Assert.Equal("1", (await page.Locator("#study-state [data-count=\"pruned\"] b").TextContentAsync())?.Trim());
        Assert.Equal("0", await page.Locator("#best").GetAttributeAsync("data-trial"));
        Assert.Equal("0.9500", (await page.Locator("#best .score").TextContentAsync())?.Trim());
        Assert.Equal(1, await page.Locator("#running tr[data-trial=\"3\"]").CountAsync());
    }

    [Fact]
    public async Task Parallel_coordinates_and_slices_have_an_axis_and_a_chart_per_hyperparameter()
    {
        var page = await OpenAsync();

        Assert.Equal(4, await page.Locator("#parallel g.pc-axis[data-param]").CountAsync());
        Assert.Equal(2, await page.Locator("#parallel path.pc-line[data-trial]").CountAsync());
        Assert.Equal(["layers", "units_2", "learning_rate", "optimizer"], await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#slices svg')].map(s => s.dataset.param)"));
        Assert.Equal(0, await page.Locator("#slices svg[data-param=\"units_2\"] circle[data-trial=\"1\"]").CountAsync()); // inactive with one layer
    }

    [Fact]
    public async Task Clicking_the_score_header_sorts_by_score_and_again_reverses_with_unscored_trials_last()
    {
        var page = await OpenAsync();

        await page.Locator("#trials-table th[data-sort=\"score\"]").ClickAsync();
        var ascending = await RowTrials(page);
        await page.Locator("#trials-table th[data-sort=\"score\"]").ClickAsync();
        var descending = await RowTrials(page);

        Assert.Equal(["1", "0"], ascending[..2]);
        Assert.Equal(["0", "1"], descending[..2]);
        Assert.Equal("descending", await page.Locator("#trials-table th[data-sort=\"score\"]").GetAttributeAsync("aria-sort"));
    }

    [Fact]
    public async Task Status_filter_shows_only_the_trials_of_that_status()
    {
        var page = await OpenAsync();

        await page.Locator("#status-filter").SelectOptionAsync("pruned");

        Assert.Equal(["1"], await RowTrials(page));
        Assert.Equal("pruned@0", (await page.Locator("#trials-table tbody tr td.status").TextContentAsync())?.Trim());
    }

    [Fact]
    public async Task Text_filter_shows_only_the_rows_holding_the_text()
    {
        var page = await OpenAsync();

        await page.Locator("#text-filter").FillAsync("sgd");

        Assert.Equal(["1", "3", "4"], await RowTrials(page));
    }

    [Fact]
    public async Task Choosing_another_study_in_the_list_shows_it()
    {
        var page = await OpenAsync();

        await page.Locator($"#studies li[data-study=\"{DashboardFixture.Empty}\"]").ClickAsync();
        await page.WaitForFunctionAsync("() => document.getElementById('study-title').textContent.startsWith('empty')");

        Assert.Equal("true", await page.Locator($"#studies li[data-study=\"{DashboardFixture.Empty}\"]").GetAttributeAsync("data-selected"));
        Assert.Equal(0, await page.Locator("#trials-table tbody tr[data-trial]").CountAsync());
    }

    [Fact]
    public async Task Importance_section_stays_hidden_until_drawImportance_is_given_a_list()
    {
        var page = await OpenAsync();
        Assert.False(await page.Locator("#importance-block").IsVisibleAsync());

        await page.EvaluateAsync("() => drawImportance([{ name: 'learning_rate', importance: 0.7 }, { name: 'layers', importance: 0.3 }])");

        Assert.True(await page.Locator("#importance-block").IsVisibleAsync());
        Assert.Equal(["learning_rate", "layers"], await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#importance g[data-param]')].map(g => g.dataset.param)"));
    }
}
