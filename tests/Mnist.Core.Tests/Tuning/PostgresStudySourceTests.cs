using Mnist.Core.Tuning;
using Mnist.Testing;
using Npgsql;

namespace Mnist.Core.Tests.Tuning;

/// <summary>A reader of a PostgreSQL database of studies: which studies it finds, and that its sessions cannot write.</summary>
[Trait("Category", "Postgres")]
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class PostgresStudySourceTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly IReadOnlyList<HyperParameter> Space = [new IntParameter("units", 1, 3)];

    private void MakeStudy(string name)
    {
        using var store = new PostgresStudyStore(database.Url, name);
        store.OpenOrCreate(new StudyDefinition(name, Space, TuningObjective.ValLoss));
    }

    [Fact]
    public void Given_a_database_without_the_schema_When_listed_Then_it_holds_no_studies()
    {
        PostgresServer.Shared.OnFreshDatabase(url => Assert.Empty(StudyStorage.List(url, null)));
    }

    [Fact]
    public void Given_a_database_of_studies_When_listed_Then_every_study_is_named_and_a_named_one_alone_when_asked()
    {
        MakeStudy("list-b");
        MakeStudy("list-a");

        Assert.Equal(["list-a", "list-b"], StudyStorage.List(database.Url, null).Where(n => n.StartsWith("list-", StringComparison.Ordinal)));
        Assert.Equal(["list-b"], StudyStorage.List(database.Url, "list-b"));
    }

    [Fact]
    public void Given_an_unknown_study_When_read_Then_the_error_names_it_and_the_studies_there()
    {
        MakeStudy("known");
        using var source = StudySource.Open(database.Url, null);

        var e = Assert.Throws<StudyNotFoundException>(() => source.Read("unknown", s => s.Definition));

        Assert.Contains("'unknown'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'known'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_study_read_through_the_source_Then_the_server_refuses_its_sessions_any_write()
    {
        MakeStudy("guarded");
        using var source = StudySource.Open(database.Url, null);

        var write = Record.Exception(() => source.Read("guarded", s => s.Claim(new ClaimRequest("w", 1, TimeSpan.FromMinutes(1), _ => new TrialProposal([0.5], new Dictionary<string, double> { ["units"] = 2 })))));

        var refused = Assert.IsType<PostgresException>(write);
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
        using var check = PostgresStudyStore.OpenExisting(database.Url, "guarded");
        Assert.Empty(check.Trials());
    }

    [Fact]
    public void Given_a_storage_and_a_study_the_database_lacks_When_opened_Then_the_error_names_it()
    {
        MakeStudy("present");

        var e = Assert.Throws<StudyNotFoundException>(() => StudySource.Open(database.Url, "absent"));

        Assert.Contains("'absent'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_server_that_does_not_answer_When_opened_Then_the_error_says_so_within_seconds()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var e = Assert.Throws<StudyStoreUnavailableException>(() => StudySource.Open("postgresql://nobody:secret@127.0.0.1:1/studies", null));

        Assert.Contains("postgresql://nobody:***@127.0.0.1:1/studies", e.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, StudySource.PostgresRetryFor + TimeSpan.FromSeconds(10));
    }
}
