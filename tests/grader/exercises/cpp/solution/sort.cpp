#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

int main() {
    std::vector<std::string> words;
    for (std::string word; std::cin >> word;)
        words.push_back(word);
    std::sort(words.begin(), words.end());
    for (const auto &word : words)
        std::cout << word << "\n";
}
