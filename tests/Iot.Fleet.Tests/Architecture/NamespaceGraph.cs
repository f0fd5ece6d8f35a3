using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Iot.Fleet.Tests.Architecture;

/// <summary>
/// Which of an assembly's namespaces use which, read from its compiled metadata: base types, interfaces, fields,
/// signatures and every type, method and field token in the method bodies. Compiler-made types (lambdas, state
/// machines) count for the type they were written in. Names that merely look alike do not count, unlike in a
/// text search.
/// </summary>
public sealed class NamespaceGraph
{
    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes).GetFields()
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>Namespace to the namespaces it uses, each with the uses that make the edge ("Type -> Type, …").</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Uses { get; }

    private NamespaceGraph(Dictionary<string, Dictionary<string, SortedSet<string>>> uses) =>
        Uses = uses.ToDictionary(u => u.Key,
            u => (IReadOnlyDictionary<string, string>)u.Value.ToDictionary(e => e.Key, e => string.Join(", ", e.Value)));

    /// <summary>Reads the assembly; namespaces are shortened to what follows <paramref name="root"/> ("" for the root).</summary>
    public static NamespaceGraph Read(string assemblyPath, string root)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var md = pe.GetMetadataReader();
        var uses = new Dictionary<string, Dictionary<string, SortedSet<string>>>();
        var provider = new TypeCollector();
        foreach (var handle in md.TypeDefinitions)
        {
            var from = Outermost(md, handle);
            var fromNs = Short(md.GetString(md.GetTypeDefinition(from).Namespace), root);
            if (fromNs is null) continue;
            var found = new HashSet<TypeDefinitionHandle>();
            var type = md.GetTypeDefinition(handle);
            Collect(md, type.BaseType, found, provider);
            foreach (var i in type.GetInterfaceImplementations()) Collect(md, md.GetInterfaceImplementation(i).Interface, found, provider);
            foreach (var f in type.GetFields()) AddAll(found, md.GetFieldDefinition(f).DecodeSignature(provider, null));
            foreach (var m in type.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                var signature = method.DecodeSignature(provider, null);
                AddAll(found, signature.ReturnType);
                foreach (var p in signature.ParameterTypes) AddAll(found, p);
                if (method.RelativeVirtualAddress != 0) ScanBody(md, pe.GetMethodBody(method.RelativeVirtualAddress), found, provider);
            }
            foreach (var target in found)
            {
                var to = Outermost(md, target);
                var toNs = Short(md.GetString(md.GetTypeDefinition(to).Namespace), root);
                if (toNs is null || toNs == fromNs) continue;
                if (!uses.TryGetValue(fromNs, out var edges)) uses[fromNs] = edges = new();
                if (!edges.TryGetValue(toNs, out var examples)) edges[toNs] = examples = new(StringComparer.Ordinal);
                examples.Add($"{Name(md, from)} -> {Name(md, to)}");
            }
        }
        return new NamespaceGraph(uses);
    }

    /// <summary>The groups of namespaces that use each other in a circle (strongly connected, more than one).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<IReadOnlyList<string>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in Uses.GetValueOrDefault(v)?.Keys ?? [])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var group = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); group.Add(x); } while (x != v);
            if (group.Count > 1) cycles.Add(group.Order(StringComparer.Ordinal).ToList());
        }
        foreach (var v in Uses.Keys.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return cycles;
    }

    private static string? Short(string ns, string root) =>
        ns == root ? "" : ns.StartsWith(root + ".", StringComparison.Ordinal) ? ns[(root.Length + 1)..].Split('.')[0] : null;

    private static TypeDefinitionHandle Outermost(MetadataReader md, TypeDefinitionHandle handle)
    {
        while (true)
        {
            var declaring = md.GetTypeDefinition(handle).GetDeclaringType();
            if (declaring.IsNil) return handle;
            handle = declaring;
        }
    }

    private static string Name(MetadataReader md, TypeDefinitionHandle handle) => md.GetString(md.GetTypeDefinition(handle).Name);

    private static void AddAll(HashSet<TypeDefinitionHandle> found, ImmutableArray<TypeDefinitionHandle> types)
    {
        foreach (var t in types) found.Add(t);
    }

    private static void Collect(MetadataReader md, EntityHandle handle, HashSet<TypeDefinitionHandle> found, TypeCollector provider)
    {
        if (handle.IsNil) return;
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                found.Add((TypeDefinitionHandle)handle);
                break;
            case HandleKind.TypeSpecification:
                AddAll(found, md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(provider, null));
                break;
            case HandleKind.MethodDefinition:
                found.Add(md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                break;
            case HandleKind.FieldDefinition:
                found.Add(md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                break;
            case HandleKind.MemberReference:
                Collect(md, md.GetMemberReference((MemberReferenceHandle)handle).Parent, found, provider);
                break;
            case HandleKind.MethodSpecification:
                var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                Collect(md, spec.Method, found, provider);
                foreach (var t in spec.DecodeSignature(provider, null)) AddAll(found, t);
                break;
        }
    }

    private static void ScanBody(MetadataReader md, MethodBodyBlock body, HashSet<TypeDefinitionHandle> found, TypeCollector provider)
    {
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short code = il.ReadByte();
            if (code == 0xFE) code = (short)(0xFE00 | il.ReadByte());
            switch (Operands[code])
            {
                case OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok:
                    Collect(md, MetadataTokens.EntityHandle(il.ReadInt32()), found, provider);
                    break;
                case OperandType.InlineSwitch:
                    var targets = il.ReadInt32(); // read first: `Offset += 4 * ReadInt32()` would take Offset before the read
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.InlineSig or OperandType.InlineString or OperandType.ShortInlineR:
                    il.Offset += 4;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
            }
        }
    }

    /// <summary>Decodes signatures into the assembly's own types they mention.</summary>
    private sealed class TypeCollector : ISignatureTypeProvider<ImmutableArray<TypeDefinitionHandle>, object?>
    {
        private static readonly ImmutableArray<TypeDefinitionHandle> None = [];
        public ImmutableArray<TypeDefinitionHandle> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];
        public ImmutableArray<TypeDefinitionHandle> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => None;
        public ImmutableArray<TypeDefinitionHandle> GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public ImmutableArray<TypeDefinitionHandle> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;
        public ImmutableArray<TypeDefinitionHandle> GetSZArrayType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetArrayType(ImmutableArray<TypeDefinitionHandle> elementType, ArrayShape shape) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetByReferenceType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetPointerType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetPinnedType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetGenericInstantiation(ImmutableArray<TypeDefinitionHandle> genericType, ImmutableArray<ImmutableArray<TypeDefinitionHandle>> typeArguments) =>
            genericType.AddRange(typeArguments.SelectMany(a => a));
        public ImmutableArray<TypeDefinitionHandle> GetGenericMethodParameter(object? context, int index) => None;
        public ImmutableArray<TypeDefinitionHandle> GetGenericTypeParameter(object? context, int index) => None;
        public ImmutableArray<TypeDefinitionHandle> GetFunctionPointerType(MethodSignature<ImmutableArray<TypeDefinitionHandle>> signature) =>
            signature.ReturnType.AddRange(signature.ParameterTypes.SelectMany(p => p));
        public ImmutableArray<TypeDefinitionHandle> GetModifiedType(ImmutableArray<TypeDefinitionHandle> modifier, ImmutableArray<TypeDefinitionHandle> unmodifiedType, bool isRequired) => unmodifiedType;
    }
}
