numbers = [float(x) for x in input().split()]
print(f"{sum(numbers) // len(numbers):.2f}")
