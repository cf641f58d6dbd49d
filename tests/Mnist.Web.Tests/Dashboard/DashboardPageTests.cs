using Mnist.Web.Dashboard;

namespace Mnist.Web.Tests.Dashboard;

/// <summary>The dashboard's page as embedded in the assembly: its public element ids, and nothing loaded from elsewhere.</summary>
public sealed class DashboardPageTests
{
    private static string Asset(string route) => System.Text.Encoding.UTF8.GetString(StaticAssets.Load(DashboardApp.Assets[route].Resource));

    [Theory]
    [InlineData("studies")]
    [InlineData("study-state")]
    [InlineData("best")]
    [InlineData("history")]
    [InlineData("curves")]
    [InlineData("parallel")]
    [InlineData("slices")]
    [InlineData("trials-table")]
    [InlineData("status-filter")]
    [InlineData("text-filter")]
    [InlineData("importance-block")]
    public void Page_has_the_element_ids_docs_dashboard_md_promises(string id)
    {
        Assert.Contains($"id=\"{id}\"", Asset("/"), StringComparison.Ordinal);
    }

    [Fact]
    public void Page_loads_nothing_from_another_origin()
    {
        foreach (var route in DashboardApp.Assets.Keys.Where(r => r != "/favicon.svg"))
        {
            var text = Asset(route);
            Assert.DoesNotContain("http://", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("https://", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("//cdn", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Script_keeps_drawImportance_ready_for_the_importance_endpoint()
    {
        Assert.Contains("function drawImportance(list)", Asset("/dashboard.js"), StringComparison.Ordinal);
    }
}
