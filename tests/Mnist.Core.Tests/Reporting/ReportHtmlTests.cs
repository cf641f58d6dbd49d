using Mnist.Core.Reporting;

namespace Mnist.Core.Tests.Reporting;

/// <summary>The report's renderer on pages built by hand: what each block becomes.</summary>
public sealed class ReportHtmlTests
{
    private static string Render(params ReportBlock[] blocks) =>
        ReportHtml.Render(new ReportPage("t", DateTimeOffset.UnixEpoch, [new ReportSection("Run", "final", blocks)], []));

    [Fact]
    public void A_section_with_a_name_is_headed_by_its_kind_and_its_name_in_code()
    {
        Assert.Contains("<h2>Run <code>final</code></h2>", Render(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_of_facts_carries_its_id_and_escapes_its_values()
    {
        var html = Render(new FactsBlock("numbers", null, [("test loss", "<0.1>")]));

        Assert.Contains("<table class=\"facts\" data-table=\"numbers\"><tr><th>test loss</th><td>&lt;0.1&gt;</td></tr></table>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_picture_the_folder_lacks_is_left_out_and_one_it_has_is_inlined()
    {
        var html = Render(new PictureBlock("curves", "c", null), new PictureBlock("confusion", "m", "<svg/>"u8.ToArray()));

        Assert.DoesNotContain("data-picture=\"curves\"", html, StringComparison.Ordinal);
        Assert.Contains($"src=\"data:image/svg+xml;base64,{Convert.ToBase64String("<svg/>"u8.ToArray())}\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_best_row_is_marked_and_a_rows_note_spans_the_columns_after_the_first()
    {
        var html = Render(new TableBlock("Trials", "(best first)", ["trial", "status", "score"],
            [new TableRow(["1", "completed", "0.9"], Best: true), new TableRow(["2", "failed", "–"], Note: "out of memory")]));

        Assert.Contains("<h3>Trials <span class=\"muted\">(best first)</span></h3>", html, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"best\"><td>1</td>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td></td><td colspan=\"2\" class=\"muted\">out of memory</td></tr>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_notes_are_listed_under_not_shown_only_when_there_are_some()
    {
        var none = ReportHtml.Render(new ReportPage("t", DateTimeOffset.UnixEpoch, [], []));
        var some = ReportHtml.Render(new ReportPage("t", DateTimeOffset.UnixEpoch, [], ["no evaluation"]));

        Assert.DoesNotContain("Not shown", none, StringComparison.Ordinal);
        Assert.Contains("<h2>Not shown</h2><ul><li>no evaluation</li></ul>", some, StringComparison.Ordinal);
    }
}
