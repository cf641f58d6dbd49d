using Mnist.Cli.Commands;

namespace Mnist.Cli.Tests.Commands;

public sealed class DashboardCommandParsingTests
{
    private static System.CommandLine.ParseResult Parse(string line) =>
        CliApp.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Given_a_storage_When_dashboard_is_parsed_Then_it_reads_that_storage_on_loopback_5100()
    {
        var parse = Parse("dashboard --storage postgresql://u@db:5432/studies");
        Assert.Empty(parse.Errors);

        var options = DashboardCommand.ToOptions(parse);

        Assert.Equal(("postgresql://u@db:5432/studies", (string?)null, "http://127.0.0.1:5100"), (options.Storage, options.Study, options.Urls));
    }

    [Fact]
    public void Given_a_study_and_urls_When_dashboard_is_parsed_Then_both_reach_the_options()
    {
        var options = DashboardCommand.ToOptions(Parse("dashboard --study runs/search/study --urls http://0.0.0.0:8080"));

        Assert.Equal(((string?)null, "runs/search/study", "http://0.0.0.0:8080"), (options.Storage, options.Study, options.Urls));
    }

    [Fact]
    public void Given_neither_storage_nor_study_When_dashboard_is_parsed_Then_it_is_an_error_naming_both_flags()
    {
        var errors = Parse("dashboard").Errors;

        var error = Assert.Single(errors);
        Assert.Contains("--storage", error.Message, StringComparison.Ordinal);
        Assert.Contains("--study", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_study_that_is_not_there_When_dashboard_runs_Then_it_fails_with_an_error_naming_the_file()
    {
        var error = new StringWriter();
        var missing = Path.Combine(Path.GetTempPath(), "mnist-no-such-" + Guid.NewGuid().ToString("N")[..8], "study");

        var code = await CliApp.RunAsync(["dashboard", "--study", missing, "--urls", "http://127.0.0.1:0"], TextWriter.Null, error);

        Assert.Equal(CliApp.Failed, code);
        Assert.Contains(missing + ".db", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_storage_url_that_does_not_parse_When_dashboard_runs_Then_it_fails_with_an_error_naming_the_flag()
    {
        var error = new StringWriter();

        var code = await CliApp.RunAsync(["dashboard", "--storage", "mysql://db/x", "--urls", "http://127.0.0.1:0"], TextWriter.Null, error);

        Assert.Equal(CliApp.Failed, code);
        Assert.Contains("mysql://db/x", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("--storage", error.ToString(), StringComparison.Ordinal);
    }
}
