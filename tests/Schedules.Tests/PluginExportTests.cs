using System.Reflection;
using Pipeline.Plugins;
using Pipeline.Plugins.Schedules;

namespace Pipeline.Tests;

/// <summary>The exports the host will find: metadata, contracts and option types it can bind.</summary>
public class PluginExportTests
{
    static readonly (PluginAttribute Meta, IPluginExport Export)[] Exports =
        typeof(DiscreteSchedule).Assembly.GetTypes()
            .Select(t => (Meta: t.GetCustomAttribute<PluginAttribute>(), Type: t))
            .Where(p => p.Meta is not null)
            .Select(p => (p.Meta!, (IPluginExport)Activator.CreateInstance(p.Type)!))
            .ToArray();

    [Fact]
    public void EveryPluginIsExportedWithItsNames()
    {
        var names = Exports.Select(e => (e.Meta.Kind, e.Meta.Name)).Order().ToArray();
        Assert.Equal(
            new[] { "discrete", "edm", "ve", "vp-linear" },
            names.Where(n => n.Kind == PluginKinds.NoiseSchedule).Select(n => n.Name));
        Assert.Equal(
            new[] { "explicit", "exponential", "karras", "leading", "linspace", "logsnr-uniform", "time-quadratic", "time-uniform", "trailing" },
            names.Where(n => n.Kind == PluginKinds.TimeSteps).Select(n => n.Name));
        foreach (var kind in new[] { PluginKinds.NoiseSchedule, PluginKinds.TimeSteps })
        {
            var all = Exports.Where(e => e.Meta.Kind == kind)
                .SelectMany(e => e.Meta.Aliases.Split(',', StringSplitOptions.RemoveEmptyEntries).Append(e.Meta.Name))
                .Select(n => n.ToLowerInvariant()).ToArray();
            Assert.Equal(all.Length, all.Distinct().Count());
        }
    }

    [Fact]
    public void ImplementationsFitTheirContractAndOptions()
    {
        foreach (var (meta, export) in Exports)
        {
            Assert.True(PluginKinds.ContractOf(meta.Kind).IsAssignableFrom(export.Implementation), meta.Name);
            Assert.Equal(meta.Name, meta.Name.ToLowerInvariant());
            Assert.False(string.IsNullOrWhiteSpace(meta.Summary));
            var ctor = Assert.Single(export.Implementation.GetConstructors());
            Assert.Contains(export.Options, ctor.GetParameters().Select(p => p.ParameterType));
            Assert.NotNull(export.Options.GetConstructor(Type.EmptyTypes));
            foreach (var p in export.Options.GetProperties())
                Assert.True(Bindable(p.PropertyType), $"{meta.Name}.{p.Name}: {p.PropertyType}");
        }
    }

    static bool Bindable(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t.IsArray) return Bindable(t.GetElementType()!);
        return t.IsEnum || t == typeof(bool) || t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(string);
    }
}
