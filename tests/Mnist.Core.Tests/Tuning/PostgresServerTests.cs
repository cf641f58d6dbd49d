using Mnist.Core.Tuning;
using Mnist.Testing;
using Npgsql;

namespace Mnist.Core.Tests.Tuning;

/// <summary>The test PostgreSQL server: $MNIST_TEST_POSTGRES in CI, else a throwaway cluster of this process.</summary>
[Trait("Category", "Postgres")]
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class PostgresServerTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static object? Scalar(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    [Fact]
    public void Given_the_class_database_When_queried_with_Npgsql_Then_SELECT_1_answers_1()
    {
        Assert.Equal(1, Scalar(database.ConnectionString, "SELECT 1"));
        Assert.Equal(database.Name, Scalar(database.ConnectionString, "SELECT current_database()"));
        Assert.Equal(database.ConnectionString, StorageUrl.Parse(database.Url).ConnectionString);
    }

    [Fact]
    public void Given_two_fresh_databases_When_a_table_is_made_in_one_Then_they_are_distinct_and_the_other_is_empty()
    {
        var server = PostgresServer.Shared;
        var first = server.CreateDatabase();
        var second = server.CreateDatabase();
        try
        {
            var a = StorageUrl.Parse(first);
            var b = StorageUrl.Parse(second);
            Assert.NotEqual(a.Database, b.Database);
            Assert.Equal(a.Database, Scalar(a.ConnectionString!, "SELECT current_database()"));
            Assert.Equal(b.Database, Scalar(b.ConnectionString!, "SELECT current_database()"));

            Scalar(a.ConnectionString!, "CREATE TABLE trials (id INTEGER PRIMARY KEY)");

            const string tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'";
            Assert.Equal(1L, Scalar(a.ConnectionString!, tables));
            Assert.Equal(0L, Scalar(b.ConnectionString!, tables));
        }
        finally
        {
            server.DropDatabase(first);
            server.DropDatabase(second);
        }
        Assert.Equal(0L, server.Scalar($"SELECT count(*) FROM pg_database WHERE datname IN ('{StorageUrl.Parse(first).Database}', '{StorageUrl.Parse(second).Database}')"));
    }
}
