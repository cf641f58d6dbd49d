using System.Globalization;
using System.Net;
using System.Text;

namespace Mnist.Core.Reporting;

/// <summary>
/// Renders a <see cref="ReportPage"/> as one self-contained HTML page: inline CSS, pictures as
/// data: URIs, nothing fetched. Tables of facts carry <c>data-table</c>, pictures
/// <c>data-picture</c>, the best row <c>class="best"</c>, for scripts and tests.
/// </summary>
public static class ReportHtml
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(ReportPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var html = new StringBuilder();
        Head(html, page);
        foreach (var section in page.Sections)
        {
            html.Append(section.Name is null ? $"<h2>{E(section.Kind)}</h2>" : $"<h2>{E(section.Kind)} <code>{E(section.Name)}</code></h2>");
            foreach (var block in section.Blocks) Block(html, block);
        }
        if (page.Notes.Count > 0)
        {
            html.Append("<h2>Not shown</h2><ul>");
            foreach (var n in page.Notes) html.Append(Inv, $"<li>{E(n)}</li>");
            html.Append("</ul>");
        }
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void Block(StringBuilder html, ReportBlock block)
    {
        switch (block)
        {
            case FactsBlock facts:
                if (facts.Heading is { } heading) html.Append(Inv, $"<h3>{E(heading)}</h3>");
                html.Append(Inv, $"<table class=\"facts\" data-table=\"{E(facts.Id)}\">");
                foreach (var (k, v) in facts.Rows) html.Append(Inv, $"<tr><th>{E(k)}</th><td>{E(v)}</td></tr>");
                html.Append("</table>");
                break;
            case PictureBlock { Svg: { } svg } picture:
                html.Append(Inv, $"<figure><img src=\"data:image/svg+xml;base64,{Convert.ToBase64String(svg)}\" alt=\"{E(picture.Caption)}\" data-picture=\"{E(picture.Name)}\"><figcaption>{E(picture.Caption)} <span class=\"muted\">({E(picture.Name)}.svg, {E(picture.Name)}.png)</span></figcaption></figure>");
                break;
            case PictureBlock:
                break; // not drawn: the page's notes say why
            case TableBlock table:
                html.Append(Inv, $"<h3>{E(table.Heading)}{(table.Aside is { } aside ? $" <span class=\"muted\">{E(aside)}</span>" : "")}</h3><table><tr>");
                foreach (var c in table.Columns) html.Append(Inv, $"<th>{E(c)}</th>");
                html.Append("</tr>");
                foreach (var row in table.Rows)
                {
                    html.Append(row.Best ? "<tr class=\"best\">" : "<tr>");
                    foreach (var cell in row.Cells) html.Append(Inv, $"<td>{E(cell)}</td>");
                    html.Append("</tr>");
                    if (row.Note is { } note) html.Append(Inv, $"<tr><td></td><td colspan=\"{table.Columns.Count - 1}\" class=\"muted\">{E(note)}</td></tr>");
                }
                html.Append("</table>");
                break;
            default:
                throw new ArgumentException($"no rendering for {block.GetType().Name}", nameof(block));
        }
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static void Head(StringBuilder html, ReportPage page)
    {
        html.Append(Inv, $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Report: {{E(page.Title)}}</title>
            <style>
            body { font: 15px/1.45 system-ui, "DejaVu Sans", sans-serif; max-width: 1200px; margin: 0 auto; padding: 0 16px 40px; color: #1b1f24; }
            h2 { border-top: 1px solid #d9dee5; padding-top: 14px; margin-top: 28px; }
            table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; margin: 8px 0 16px; }
            th, td { padding: 2px 8px; border: 1px solid #d9dee5; text-align: right; white-space: nowrap; }
            th:first-child, td:first-child, table.facts th { text-align: left; }
            table.facts td { text-align: left; white-space: normal; }
            tr.best td { background: #fff3e0; font-weight: 600; }
            figure { margin: 12px 0 20px; } figure img { max-width: 100%; height: auto; border: 1px solid #d9dee5; }
            figcaption, .muted { color: #5f6b7a; font-size: 0.85rem; }
            </style></head><body>
            <h1>Report: <code>{{E(page.Title)}}</code></h1>
            <p class="muted">Written {{page.Written:u}} by mnist report.</p>

            """);
    }
}
